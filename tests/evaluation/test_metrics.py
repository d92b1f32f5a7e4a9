from __future__ import annotations

import random

import pytest
from seqeval.metrics import classification_report
from seqeval.scheme import IOB2
from zhner.annotate.schema import LABELS, Span, spans_to_tags
from zhner.evaluation.metrics import bootstrap, confusion, errors, prf, schemes

L, G, M = "LOC", "ORG", "METRIC"  # G: orGanisation


@pytest.mark.parametrize(
    ("gold", "pred", "p", "r"),
    [
        ([[Span(0, 2, L)]], [[Span(0, 2, L)]], 1.0, 1.0),
        ([[Span(0, 2, L)]], [[]], 0.0, 0.0),  # empty predictions
        ([[]], [[Span(0, 2, L)]], 0.0, 0.0),  # empty gold
        ([[]], [[]], 0.0, 0.0),
        ([[Span(0, 2, L)]], [[Span(0, 2, G)]], 0.0, 0.0),  # wrong type
        ([[Span(0, 2, L)]], [[Span(0, 3, L)]], 0.0, 0.0),  # off by one at the end
        ([[Span(1, 3, L)]], [[Span(0, 3, L)]], 0.0, 0.0),  # off by one at the start
        ([[Span(0, 2, L), Span(2, 4, L)]], [[Span(0, 4, L)]], 0.0, 0.0),  # adjacent gold merged
        ([[Span(0, 2, L), Span(2, 4, L)]], [[Span(0, 2, L), Span(2, 4, L)]], 1.0, 1.0),  # adjacent kept apart
        ([[Span(0, 2, L), Span(3, 5, M)]], [[Span(0, 2, L)]], 1.0, 0.5),
        ([[Span(0, 2, L)], [Span(0, 1, M)]], [[Span(0, 2, L), Span(3, 4, M)], []], 0.5, 0.5),
    ],
)
def test_metrics_prf_known_answers(gold, pred, p: float, r: float) -> None:
    micro = prf(gold, pred)["micro"]
    assert (micro["precision"], micro["recall"]) == (p, r)
    assert micro["f1"] == pytest.approx(2 * p * r / (p + r) if p + r else 0.0)


def test_metrics_macro_averages_labels_present() -> None:
    res = prf([[Span(0, 2, L), Span(3, 5, G)]], [[Span(0, 2, L)]])
    assert res["macro"]["f1"] == pytest.approx((1.0 + 0.0) / 2)
    assert res["HONOR"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0, "predicted": 0, "correct": 0}


def random_spans(rng: random.Random, n: int) -> list[Span]:
    cuts = sorted(rng.sample(range(n + 1), k=min(n + 1, 2 * rng.randint(0, 5))))
    return [Span(a, b, rng.choice(LABELS)) for a, b in zip(cuts[::2], cuts[1::2]) if a < b]


@pytest.mark.parametrize("seed", range(30))
def test_metrics_agree_with_seqeval_strict_iob2(seed: int) -> None:
    rng = random.Random(seed)
    lengths = [rng.randint(1, 40) for _ in range(rng.randint(1, 12))]
    gold = [random_spans(rng, n) for n in lengths]
    pred = [random_spans(rng, n) if rng.random() < 0.5 else list(g) for g, n in zip(gold, lengths)]
    ours = prf(gold, pred)
    ref = classification_report(
        [spans_to_tags(n, g) for g, n in zip(gold, lengths)],
        [spans_to_tags(n, p) for p, n in zip(pred, lengths)],
        mode="strict",
        scheme=IOB2,
        output_dict=True,
        zero_division=0,
    )
    for lab in LABELS:
        if lab in ref:
            assert ours[lab]["f1"] == pytest.approx(ref[lab]["f1-score"], abs=1e-9)
            assert ours[lab]["support"] == ref[lab]["support"]
    assert ours["micro"]["f1"] == pytest.approx(ref["micro avg"]["f1-score"], abs=1e-9)
    assert ours["micro"]["precision"] == pytest.approx(ref["micro avg"]["precision"], abs=1e-9)


def test_metrics_schemes_count_each_case() -> None:
    gold = [[Span(0, 2, L), Span(3, 6, G), Span(7, 9, M), Span(10, 12, L)]]
    pred = [[Span(0, 2, L), Span(3, 6, L), Span(7, 8, M), Span(13, 15, G)]]
    r = schemes(gold, pred)
    # exact match, same boundary wrong type, partial same type, spurious; one gold missed
    assert {k: r["strict"][k] for k in ("COR", "INC", "PAR", "MIS", "SPU")} == {
        "COR": 1,
        "INC": 2,
        "PAR": 0,
        "MIS": 1,
        "SPU": 1,
    }
    assert {k: r["exact"][k] for k in ("COR", "INC")} == {"COR": 2, "INC": 1}
    assert {k: r["partial"][k] for k in ("COR", "PAR")} == {"COR": 2, "PAR": 1}
    assert {k: r["type"][k] for k in ("COR", "INC")} == {"COR": 2, "INC": 1}
    assert r["partial"]["precision"] == pytest.approx(2.5 / 4)
    assert r["strict"]["recall"] == pytest.approx(1 / 4)


def test_metrics_confusion_and_errors() -> None:
    gold = [[Span(0, 2, L), Span(3, 6, G), Span(7, 9, M)]]
    pred = [[Span(0, 2, L), Span(3, 5, L), Span(10, 11, M)]]
    c = confusion(gold, pred)
    m = dict(zip(c["rows"], c["matrix"]))
    assert m["LOC"][c["cols"].index("LOC")] == 1
    assert m["ORG"][c["cols"].index("LOC")] == 1
    assert m["METRIC"][c["cols"].index("MISSED")] == 1
    assert m["SPURIOUS"][c["cols"].index("METRIC")] == 1
    kinds = sorted(e["kind"] for e in errors(["s"], ["浙江在海康威视的12个"], gold, pred))
    assert kinds == ["false negative", "false positive", "wrong type and boundary"]


def test_metrics_bootstrap_brackets_the_point_estimate() -> None:
    rng = random.Random(0)
    gold = [random_spans(rng, 30) for _ in range(40)]
    pred = [g if rng.random() < 0.7 else random_spans(rng, 30) for g in gold]
    ci = bootstrap(gold, pred, n=500, seed=1)
    f1 = prf(gold, pred)["micro"]["f1"]
    assert ci["micro"][0] <= f1 <= ci["micro"][1]
    assert ci == bootstrap(gold, pred, n=500, seed=1)  # seeded
    assert bootstrap([[Span(0, 1, L)]], [[Span(0, 1, L)]], n=50)["micro"] == [1.0, 1.0]
