"""Standoff gold over a corpus: resolution, every failure as file:line: reason, and the tools that read it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from zhner.annotate import read_gold, validate
from zhner.annotate.cli import main
from zhner.annotate.standoff import sha256

LINES = ["第一行没有句子。", "海康威视营收增长12%。杭州新增3家工厂。", "\u4e2d\u6587\r"]


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "news.txt").write_text("\n".join(LINES) + "\n", encoding="utf-8", newline="")
    return folder


def standoff(line: int, start: int, end: int, entities: list, rid: str = "s1", **kw) -> dict:
    text = LINES[line - 1].removesuffix("\r")
    return {
        "id": rid,
        "source": "news.txt",
        "line": line,
        "sha256": sha256(text),
        "start": start,
        "end": end,
        "entities": entities,
        **kw,
    }


def write(tmp_path: Path, rows: list[dict], name: str = "so.jsonl") -> Path:
    path = tmp_path / name
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def test_resolves_sentence_and_relative_entities(tmp_path, corpus) -> None:
    path = write(tmp_path, [standoff(2, 12, 21, [[0, 2, "LOC"], [4, 6, "METRIC"]]), standoff(3, 0, 2, [], "s2")])
    first, second = read_gold(path, corpus=corpus)
    assert first.text == "杭州新增3家工厂。" and first.mentions() == [("杭州", "LOC"), ("3家", "METRIC")]
    assert first.meta["line"] == 2 and first.meta["source"] == "news.txt"
    assert second.text == "中文"  # a trailing \r is not part of the line


def test_environment_variable_names_the_corpus(tmp_path, corpus, monkeypatch) -> None:
    path = write(tmp_path, [standoff(2, 0, 11, [[0, 4, "ORG"]])])
    monkeypatch.setenv("ZHNER_CORPUS", str(corpus))
    assert read_gold(path)[0].mentions() == [("海康威视", "ORG")]


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ({"source": "gone.txt"}, "corpus file {corpus}/gone.txt does not exist"),
        ({"source": "../news.txt"}, "source '../news.txt' must be a file name inside the corpus folder"),
        ({"line": 9}, "news.txt has no line 9 (it has 4)"),
        ({"sha256": "0" * 64}, "news.txt:2 no longer matches its sha256 (the corpus changed; re-anchor this sentence)"),
        ({"end": 99}, "sentence range [0, 99) is outside news.txt:2 (21 characters)"),
        ({"line": "2"}, "standoff 'line', 'start' and 'end' must be integers"),
        ({"entities": [[0, 3, "LOC"], [2, 4, "ORG"]]}, "overlap"),
        ({"entities": [[0, 4, "PER"]]}, "unknown label 'PER'"),
    ],
)
def test_bad_standoff_line_names_file_line_and_reason(tmp_path, corpus, row, reason) -> None:
    good = standoff(2, 0, 11, [[0, 4, "ORG"]])
    path = write(tmp_path, [good, {**standoff(2, 0, 11, [], "s2"), **row}])
    problems = [str(p) for p in validate(path, corpus=corpus)]
    assert len(problems) == 1 and problems[0].startswith(f"{path}:2: ")
    assert reason.format(corpus=corpus) in problems[0]


def test_missing_corpus_is_said_once_per_file(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("ZHNER_CORPUS", raising=False)
    path = write(tmp_path, [standoff(2, 0, 11, []), standoff(2, 12, 21, [], "s2")])
    problems = [str(p) for p in validate(path)]
    assert problems == [
        f"{path}:1: standoff record (no text) and no corpus folder given: pass --corpus DIR, set data.corpus or "
        "$ZHNER_CORPUS (the folder holding news.txt); every standoff line of this file needs it"
    ]


def test_resolve_command_writes_gold_or_nothing(tmp_path, corpus, capsys) -> None:
    path = write(tmp_path, [standoff(2, 0, 11, [[0, 4, "ORG"], [8, 11, "METRIC"]])])
    out = tmp_path / "out.jsonl"
    assert main(["resolve", str(path), "--corpus", str(corpus), "-o", str(out)]) == 0
    (row,) = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert row["text"] == "海康威视营收增长12%" and row["entities"] == [[0, 4, "ORG"], [8, 11, "METRIC"]]
    assert list(validate(out)) == []  # ordinary gold now

    broken = write(tmp_path, [standoff(2, 0, 11, []), {**standoff(2, 0, 11, [], "s2"), "sha256": "x"}], "b.jsonl")
    out2 = tmp_path / "out2.jsonl"
    assert main(["resolve", str(broken), "--corpus", str(corpus), "-o", str(out2)]) == 1
    captured = capsys.readouterr()
    assert f"{broken}:2: news.txt:2 no longer matches its sha256" in captured.out
    assert not out2.exists() and not (tmp_path / "out2.jsonl.part").exists()


def test_resolve_refuses_to_write_inside_the_repository(tmp_path, corpus, root, capsys) -> None:
    path = write(tmp_path, [standoff(2, 0, 11, [])])
    target = root / "data" / "resolved-test.jsonl"
    assert main(["resolve", str(path), "--corpus", str(corpus), "-o", str(target)]) == 1
    assert "inside the repository" in capsys.readouterr().err and not target.exists()


def test_stats_and_agree_read_standoff(tmp_path, corpus, capsys) -> None:
    a = write(tmp_path, [standoff(2, 0, 11, [[0, 4, "ORG"], [8, 11, "METRIC"]])], "a.jsonl")
    b = write(tmp_path, [standoff(2, 0, 11, [[0, 4, "ORG"]])], "b.jsonl")
    assert main(["stats", str(a), "--corpus", str(corpus), "--json"]) == 0
    assert main(["agree", str(a), str(b), "--corpus", str(corpus), "--json"]) == 0
    out = capsys.readouterr().out
    assert '"METRIC"' in out
