"""Silver data (train.silver): the writer on a tiny sample, the comparison with gold, the offline
taggers' span offsets, and silver read back as a transfer source with its partial labels."""

from __future__ import annotations

import json

import pytest
from zhner.annotate import Record, Span, read_gold
from zhner.models.taggers import _spans, get_tagger
from zhner.train.cli import main as train_main
from zhner.train.silver import compare_with_gold, sentences, silver_records, silver_spans, write_silver
from zhner.train.transfer import TransferSource, load_source, tag_mask


def fake_tagger(text: str) -> list[Span]:
    """ORG for 海康威视, LOC for 杭州 wherever they occur (a stand-in for LAC)."""
    spans = []
    for name, label in (("海康威视", "ORG"), ("杭州", "LOC")):
        at = text.find(name)
        if at >= 0:
            spans.append(Span(at, at + len(name), label))
    return spans


def test_silver_spans_add_metric_rules_where_the_tagger_is_silent() -> None:
    text = "杭州海康威视营收增长12.5%。"
    spans = silver_spans(text, fake_tagger)
    assert [(s.text_in(text), s.label) for s in spans] == [("杭州", "LOC"), ("海康威视", "ORG"), ("12.5%", "METRIC")]
    assert all(s.label != "METRIC" for s in silver_spans(text, fake_tagger, rules=False))


def test_silver_writer_writes_valid_gold_marked_silver(tmp_path) -> None:
    corpus = tmp_path / "text"
    corpus.mkdir()
    (corpus / "a.txt").write_text(
        "杭州海康威视营收增长12.5%。杭州海康威视营收增长12.5%。短句。\n浙江新增4个国家先进制造业集群！\n",
        encoding="utf-8",
    )
    lines = list(sentences([str(corpus)]))
    assert lines == ["杭州海康威视营收增长12.5%。", "浙江新增4个国家先进制造业集群！"]  # deduplicated, short dropped
    out = tmp_path / "silver.jsonl"
    counts = write_silver(silver_records(lines, fake_tagger, "fake"), out)
    assert counts == {"sentences": 2, "LOC": 1, "ORG": 1, "METRIC": 2}
    records = read_gold(out)  # the gold loader accepts it: valid spans, known labels
    assert [r.meta["source"] for r in records] == ["silver", "silver"]
    assert records[0].meta["annotated"] == ["LOC", "ORG", "METRIC"]
    assert records[1].mentions() == [("4个", "METRIC")]
    assert write_silver(silver_records(lines, fake_tagger, "fake"), out, limit=1)["sentences"] == 1


def test_silver_read_back_as_a_transfer_source_masks_what_it_does_not_annotate(tmp_path) -> None:
    out = tmp_path / "silver.jsonl"
    write_silver(silver_records(["杭州海康威视营收增长12.5%。"], fake_tagger, "fake", rules=False), out)
    (rec,) = load_source(TransferSource(path=str(out), format="gold", partial="exclude"))
    assert rec.meta["annotated"] == ["LOC", "ORG"]
    assert tag_mask(["O", "B-ORG", "B-METRIC", "B-HONOR"], rec.meta["annotated"]) == [1, 1, 0, 0]
    (taken,) = load_source(TransferSource(path=str(out), format="gold", partial="none"))
    assert sorted(taken.meta["annotated"]) == ["HONOR", "LOC", "METRIC", "ORG"]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x", "text": "杭州", "entities": [[0, 2, "PLACE"]]}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad\.jsonl"):
        load_source(TransferSource(path=str(bad), format="gold"))


def test_compare_with_gold_counts_boundaries_and_misses() -> None:
    gold = [
        Record("g1", "杭州海康威视数字技术股份有限公司营收增长12.5%。", [Span(2, 16, "ORG"), Span(20, 25, "METRIC")]),
        Record("g2", "杭州市发布新政。", [Span(0, 3, "LOC")]),
    ]
    result = compare_with_gold(gold, fake_tagger)
    assert result["scores"]["METRIC"]["f1"] == 1.0
    assert result["scores"]["ORG"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "gold": 1, "predicted": 1}
    assert result["disagreements"]["ORG boundary"] == 1  # 海康威视 inside the full company name
    assert result["disagreements"]["LOC boundary"] == 1  # 杭州 vs 杭州市
    assert result["disagreements"]["LOC spurious"] == 1  # g1's 杭州 is not annotated (part of no gold span)
    assert {"id": "g1", "silver": "海康威视", "gold": "海康威视数字技术股份有限公司"} in result["boundary_examples"]


def test_tagger_spans_follow_the_text_even_when_words_drop_characters() -> None:
    text = "温岭市 与华中数控共建"
    spans = _spans(
        text, [("温岭市", "LOC"), ("与", "c"), ("华中数控", "ORG"), ("共建", "v")], {"LOC": "LOC", "ORG": "ORG"}
    )
    assert [(s.text_in(text), s.label) for s in spans] == [("温岭市", "LOC"), ("华中数控", "ORG")]


def test_jieba_tagger_finds_places(tmp_path, capsys) -> None:
    tag = get_tagger("jieba")
    text = "浙江省和江苏省签署协议。"
    assert ("浙江省", "LOC") in [(s.text_in(text), s.label) for s in tag(text)]
    with pytest.raises(ValueError, match="choose one of"):
        get_tagger("nope")
    corpus = tmp_path / "c.txt"
    corpus.write_text("浙江省和江苏省签署协议。\n", encoding="utf-8")
    rc = train_main(
        [
            "silver",
            "--tagger",
            "jieba",
            "--input",
            str(corpus),
            "--output",
            str(tmp_path / "s.jsonl"),
            "--gold",
            "data/gold/article.jsonl",
        ]
    )
    assert rc == 0
    out = capsys.readouterr().out
    assert "jieba + METRIC rules against the gold" in out and "s.jsonl: 1 sentences" in out
    line = json.loads((tmp_path / "s.jsonl").read_text(encoding="utf-8"))
    assert line["tagger"] == "jieba" and line["source"] == "silver"
