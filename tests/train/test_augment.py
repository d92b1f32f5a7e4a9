from __future__ import annotations

import pytest
from zhner.annotate import Record, Span
from zhner.annotate.schema import span_problems
from zhner.train.augment import augment, flip_width, gazetteer_places, replace_mentions


def records() -> list[Record]:
    return [
        Record("a", "杭州海康威视营收增长12.5%。", [Span(0, 2, "LOC"), Span(2, 6, "ORG"), Span(10, 15, "METRIC")]),
        Record(
            "b", "宁波前湾新区吉利汽车产能超12万辆", [Span(0, 6, "LOC"), Span(6, 10, "ORG"), Span(12, 17, "METRIC")]
        ),
        Record("c", "没有实体的句子"),
    ]


def test_augment_copies_keep_exact_spans_and_labels() -> None:
    recs = records()
    copies = augment(recs, 3, prob=1.0, width=0.5, seed=1)
    assert len(copies) == 6 and {c.id for c in copies} == {f"{x}~aug{k}" for x in "ab" for k in range(3)}
    pool = {lab: {s for r in recs for s, lb in r.mentions() if lb == lab} for lab in ("LOC", "ORG", "METRIC")}
    for c in copies:
        assert span_problems(c.text, c.entities) == []
        for surface, label in c.mentions():
            assert surface in pool[label] or flip_width(surface) in pool[label]
        assert c.meta["source"] == "augmented"


def test_augment_is_seeded_and_zero_copies_is_nothing() -> None:
    assert augment(records(), 2, seed=3) == augment(records(), 2, seed=3)
    assert augment(records(), 0) == []


def test_augment_replacement_shifts_later_offsets() -> None:
    import random

    rec = records()[0]
    new = replace_mentions(rec, {"LOC": ["宁波前湾新区"]}, 1.0, random.Random(0))
    assert new.text == "宁波前湾新区海康威视营收增长12.5%。"
    assert new.mentions() == [("宁波前湾新区", "LOC"), ("海康威视", "ORG"), ("12.5%", "METRIC")]


def test_augment_gazetteer_places_join_the_loc_pool(monkeypatch) -> None:
    from importlib import metadata

    places = ["乌鲁木齐市", "黔东南苗族侗族自治州"]
    copies = augment(records()[:1], 5, prob=1.0, seed=0, places=places)
    locs = {s for c in copies for s, lab in c.mentions() if lab == "LOC"}
    assert locs <= {*places, "杭州", "宁波前湾新区"} and locs & set(places)

    def missing(name):
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "distribution", missing)
    with pytest.raises(RuntimeError, match="needs the cpca package"):
        gazetteer_places()
