from __future__ import annotations

import json
import subprocess
import sys

import pytest
from zhner.annotate.cli import main


def test_cli_validate_prints_file_line_reason_and_exits_1(write_jsonl, capsys) -> None:
    path = write_jsonl(['{"id": "a", "text": "浙江", "entities": [[0, 2, "PLACE"]]}'])
    assert main(["validate", str(path)]) == 1
    out = capsys.readouterr().out
    assert out == f"{path}:1: entity [0, 2, 'PLACE'] has unknown label 'PLACE'; allowed: ORG, LOC, METRIC, HONOR\n"


def test_cli_validate_ok_exits_0(root) -> None:
    assert main(["validate", "-q", str(root / "data/gold/article.jsonl")]) == 0


def test_cli_split_then_validate(tmp_path, capsys) -> None:
    raw = tmp_path / "new.txt"
    raw.write_text("浙江新增4个集群。\n杭州入选。", encoding="utf-8")
    out = tmp_path / "new.jsonl"
    assert main(["split", str(raw), "-o", str(out)]) == 0
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [(x["id"], x["text"], x["doc_start"], x["entities"]) for x in lines] == [
        ("new-001", "浙江新增4个集群。", 0, []),
        ("new-002", "杭州入选。", 10, []),
    ]
    assert main(["validate", str(out)]) == 0


def test_cli_split_empty_file_is_one_line_error(tmp_path, capsys) -> None:
    raw = tmp_path / "empty.txt"
    raw.write_text("  \n", encoding="utf-8")
    assert main(["split", str(raw), "-o", str(tmp_path / "o.jsonl")]) == 1
    assert capsys.readouterr().err == f"error: {raw}: no text to split (the file is empty or whitespace only)\n"


def test_cli_stats_refuses_invalid_gold(write_jsonl, capsys) -> None:
    path = write_jsonl(["{oops"])
    assert main(["stats", str(path)]) == 1
    assert f"{path}:1: invalid JSON" in capsys.readouterr().err


@pytest.mark.parametrize("fmt", ["bio", "label-studio"])
def test_cli_convert_round_trip(root, tmp_path, fmt: str) -> None:
    gold = root / "data/gold/article.jsonl"
    assert main(["convert", str(gold), "-o", str(tmp_path / "x"), "--to", fmt]) == 0
    assert main(["convert", str(tmp_path / "x"), "-o", str(tmp_path / "y.jsonl"), "--from", fmt]) == 0
    assert (tmp_path / "y.jsonl").read_bytes() == gold.read_bytes()


def test_cli_folds_writes_field_and_side_file(root, tmp_path) -> None:
    gold = root / "data/gold/article.jsonl"
    args = [
        "folds",
        str(gold),
        "-k",
        "5",
        "--seed",
        "3",
        "-o",
        str(tmp_path / "f.jsonl"),
        "--side",
        str(tmp_path / "f.json"),
    ]
    assert main(args) == 0
    side = json.loads((tmp_path / "f.json").read_text(encoding="utf-8"))
    fields = {
        json.loads(x)["id"]: json.loads(x)["fold"]
        for x in (tmp_path / "f.jsonl").read_text(encoding="utf-8").splitlines()
    }
    assert side == fields and set(side.values()) == {0, 1, 2, 3, 4}


def test_cli_agree_prints_disagreements(tmp_path, capsys) -> None:
    a = tmp_path / "a.jsonl"
    b = tmp_path / "b.jsonl"
    a.write_text('{"id": "1", "text": "浙江新增", "entities": [[0, 2, "LOC"]]}\n', encoding="utf-8")
    b.write_text('{"id": "1", "text": "浙江新增", "entities": []}\n', encoding="utf-8")
    assert main(["agree", str(a), str(b)]) == 0
    out = capsys.readouterr().out
    assert "only A: [0, 2) LOC 浙江" in out and "micro     0.000  0.000  0.000      1" in out


def test_cli_zhner_annotate_does_not_import_torch(root) -> None:
    code = (
        "import sys; from zhner.cli import main; "
        f"rc = main(['annotate', 'validate', '-q', r'{root / 'data/gold/article.jsonl'}']); "
        "assert 'torch' not in sys.modules and 'transformers' not in sys.modules; sys.exit(rc)"
    )
    assert subprocess.run([sys.executable, "-c", code], cwd=root).returncode == 0


def test_cli_python_m_annotate_runs(root) -> None:
    r = subprocess.run([sys.executable, "-m", "zhner.annotate", "--help"], cwd=root, capture_output=True, text=True)
    assert r.returncode == 0 and "validate" in r.stdout
