from __future__ import annotations

import json

import pytest
from zhner.annotate import GoldError, Record, Span, read_gold, validate, write_gold


def line(text: str = "浙江新增4个集群", entities=None, rid: str = "s1", **extra) -> str:
    obj = {
        "id": rid,
        "text": text,
        "entities": entities if entities is not None else [[0, 2, "LOC"]],
        **extra,
    }
    return json.dumps(obj, ensure_ascii=False)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("{not json", "invalid JSON: Expecting property name enclosed in double quotes (column 2)"),
        ('["a"]', "expected a JSON object, got list"),
        ('{"text": "x", "entities": []}', "missing field 'id'"),
        ('{"id": "a", "entities": []}', "missing field 'text'"),
        ('{"id": "a", "text": "x"}', "missing field 'entities' (use [] for a sentence with no entity)"),
        ('{"id": 3, "text": "x", "entities": []}', "field 'id' must be a non-empty string, got 3"),
        (line(entities=[[0, 2]]), "entity [0, 2] is not [start, end, label]"),
        (
            line(entities=[[0, 2, "PER"]]),
            "entity [0, 2, 'PER'] has unknown label 'PER'; allowed: ORG, LOC, METRIC, HONOR",
        ),
        (
            line(entities=[[6, 9, "LOC"]]),
            "entity [6, 9, 'LOC'] is outside the text (need 0 <= start < end <= 8, the text's length)",
        ),
        (
            line(entities=[[2, 2, "LOC"]]),
            "entity [2, 2, 'LOC'] is outside the text (need 0 <= start < end <= 8, the text's length)",
        ),
        (
            line(entities=[[0, 2, "LOC"], [1, 5, "METRIC"]]),
            "entity [1, 5, 'METRIC'] overlaps entity [0, 2, 'LOC'] ('江新增4' and '浙江'); spans must be flat",
        ),
        (
            line(text=" 浙江", entities=[[0, 3, "LOC"]]),
            "entity [0, 3, 'LOC'] starts with whitespace (' 浙江')",
        ),
        (line(text="浙江 ", entities=[[0, 3, "LOC"]]), "entity [0, 3, 'LOC'] ends with whitespace ('浙江 ')"),
        (
            line(text="浙江\u3000", entities=[[0, 3, "LOC"]]),
            "entity [0, 3, 'LOC'] ends with whitespace ('浙江\\u3000')",
        ),
    ],
)
def test_gold_validate_reports_exact_reason(write_jsonl, content: str, reason: str) -> None:
    path = write_jsonl([content])
    problems = list(validate(path))
    assert [(p.line, p.reason) for p in problems] == [(1, reason)]
    assert str(problems[0]) == f"{path}:1: {reason}"


def test_gold_validate_duplicate_id_names_first_line(write_jsonl) -> None:
    path = write_jsonl([line(rid="a"), "", line(rid="b"), line(rid="a")])
    assert [(p.line, p.reason) for p in validate(path)] == [(4, "duplicate id 'a' (first on line 1)")]


@pytest.mark.parametrize("content", ["", "\n\n  \n"])
def test_gold_validate_empty_file(write_jsonl, content: str) -> None:
    path = write_jsonl(content)
    assert [(p.line, p.reason) for p in validate(path)] == [(0, "empty file: no sentences")]


def test_gold_validate_invalid_utf8(tmp_path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(line().encode() + b"\n" + b'{"id": "x\xff"}\n')
    assert [(p.line, p.reason) for p in validate(path)] == [(2, "invalid UTF-8 at byte offset 9 of the line")]


def test_gold_validate_missing_file(tmp_path) -> None:
    assert [p.reason for p in validate(tmp_path / "nope.jsonl")] == ["no such file"]


def test_gold_validate_reports_every_problem_of_a_file(write_jsonl) -> None:
    path = write_jsonl([line(entities=[[0, 2, "PER"]]), "oops", line(rid="s2")])
    assert [p.line for p in validate(path)] == [1, 2]


def test_gold_read_refuses_file_with_problems(write_jsonl) -> None:
    path = write_jsonl([line(), "oops"])
    with pytest.raises(GoldError) as err:
        read_gold(path)
    assert f"{path}:2: invalid JSON" in str(err.value)


@pytest.mark.parametrize(
    "text",
    ["浙江新增4个集群", "emoji 😀 and ｆｕｌｌ-width １２３ 數字 (Traditional)", "tab\tand\nnewline", ""],
)
def test_gold_round_trip_keeps_optional_fields(tmp_path, text: str) -> None:
    rec = Record("x1", text, [Span(0, 1, "ORG")] if text else [], {"doc_start": 7, "note": "n", "fold": 2})
    path = tmp_path / "g.jsonl"
    write_gold(path, [rec])
    (back,) = read_gold(path)
    assert back == rec


def test_gold_validate_accepts_long_text(write_jsonl) -> None:
    text = "浙江" * 50_000
    path = write_jsonl([line(text=text, entities=[[99_998, 100_000, "LOC"]])])
    assert list(validate(path)) == []
