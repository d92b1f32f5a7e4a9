from __future__ import annotations

import pytest
from zhner.annotate import Record, Span
from zhner.annotate.agree import agreement, cohen_kappa
from zhner.annotate.folds import assign_folds
from zhner.annotate.stats import stats


def test_agree_counts_spans_with_a_as_reference() -> None:
    a = [Record("1", "浙江杭州海康", [Span(0, 2, "LOC"), Span(2, 4, "LOC"), Span(4, 6, "ORG")])]
    b = [Record("1", "浙江杭州海康", [Span(0, 2, "LOC"), Span(2, 4, "ORG"), Span(4, 6, "ORG")])]
    r = agreement(a, b)
    assert r["per_label"]["LOC"] == {
        "precision": 1.0,
        "recall": 0.5,
        "f1": pytest.approx(2 / 3),
        "support": 2,
    }
    assert r["per_label"]["ORG"]["precision"] == 0.5
    assert r["micro"]["f1"] == pytest.approx(2 / 3)
    assert r["disagreements"][0]["only_a"] == [[2, 4, "LOC", "杭州"]]
    assert r["disagreements"][0]["only_b"] == [[2, 4, "ORG", "杭州"]]


def test_agree_identical_files_give_kappa_one() -> None:
    a = [Record("1", "浙江新增", [Span(0, 2, "LOC")])]
    r = agreement(a, a)
    assert r["kappa"] == 1.0 and r["micro"]["f1"] == 1.0 and r["disagreements"] == []


def test_agree_kappa_matches_hand_computation() -> None:
    from collections import Counter

    # po = 0.8; pA(O) = pB(O) = 0.6, pA(L) = pB(L) = 0.4 -> pe = 0.52 -> kappa = 0.28 / 0.48 = 7/12
    assert cohen_kappa(Counter({("O", "O"): 5, ("L", "L"): 3, ("O", "L"): 1, ("L", "O"): 1})) == pytest.approx(7 / 12)


def test_agree_refuses_different_sentences() -> None:
    with pytest.raises(ValueError, match="different sentences"):
        agreement([Record("1", "x")], [Record("2", "x")])
    with pytest.raises(ValueError, match="different texts"):
        agreement([Record("1", "x")], [Record("1", "y")])


def test_folds_are_deterministic_balanced_and_order_free() -> None:
    ids = [f"s{i}" for i in range(39)]
    f1 = assign_folds(ids, 5, seed=13)
    assert f1 == assign_folds(list(reversed(ids)), 5, seed=13)
    assert sorted(f1) == sorted(ids)
    sizes = sorted(list(f1.values()).count(k) for k in range(5))
    assert sizes == [7, 8, 8, 8, 8]
    assert f1 != assign_folds(ids, 5, seed=14)


@pytest.mark.parametrize(("n", "k"), [(3, 5), (10, 1)])
def test_folds_refuse_impossible_requests(n: int, k: int) -> None:
    with pytest.raises(ValueError):
        assign_folds([str(i) for i in range(n)], k)


def test_stats_counts() -> None:
    recs = [
        Record("1", "浙江浙江海康", [Span(0, 2, "LOC"), Span(2, 4, "LOC"), Span(4, 6, "ORG")]),
        Record("2", "无"),
    ]
    s = stats(recs)
    assert s["mentions"] == {"ORG": 1, "LOC": 2, "METRIC": 0, "HONOR": 0}
    assert s["distinct_mentions"]["LOC"] == 1
    assert (s["sentences"], s["characters"], s["sentences_without_entities"]) == (2, 7, 1)
    assert s["sentence_length"]["max"] == 6
