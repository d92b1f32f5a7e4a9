"""benchmarks/traditional.py on a few sentences and the tiny model (the real run is the lead's)."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest
from zhner.annotate import read_gold

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def bench(load_benchmark) -> ModuleType:
    return load_benchmark("traditional")


def test_to_traditional_keeps_spans_and_skips_a_length_change(bench) -> None:
    records = read_gold(ROOT / "data/gold/article.jsonl")[:4]
    import opencc

    s2t = opencc.OpenCC("s2t").convert
    converted, skipped = bench.to_traditional(records, s2t)
    assert skipped == 0 and [r.id for r in converted] == [r.id for r in records]
    assert all(c.entities == r.entities and c.text == s2t(r.text) for c, r in zip(converted, records))
    assert any(c.text != r.text for c, r in zip(converted, records))
    longer, skipped = bench.to_traditional(records, lambda t: t + "。" if t == records[1].text else t)
    assert skipped == 1 and [r.id for r in longer] == [records[0].id, *(r.id for r in records[2:])]


def test_benchmark_prints_each_run_and_the_differences(bench, tiny_model, capsys) -> None:
    gold = str(ROOT / "data/gold/article.jsonl")
    assert bench.main(["--model", str(tiny_model), "--data", gold, "--limit", "3"]) == 0
    out = capsys.readouterr().out
    assert "3 sentences" in out and "0 skipped (length changed); 3 scored" in out
    header = "| label | original | traditional | traditional, no conversion | traditional − original |"
    assert header in out
    assert all(f"| {lab} | " in out for lab in ("ORG", "LOC", "METRIC", "HONOR", "micro"))


def test_benchmark_without_a_model_says_so(bench, tmp_path, capsys) -> None:
    assert bench.main(["--model", str(tmp_path / "none")]) == 1
    assert "no model at" in capsys.readouterr().err
