from __future__ import annotations

from zhner.annotate import validate
from zhner.annotate.gold import read_gold
from zhner.annotate.stats import stats


def test_article_gold_is_valid(root) -> None:
    assert list(validate(root / "data/gold/article.jsonl")) == []


def test_article_gold_counts_match_the_hand_annotation(root) -> None:
    # roughly 30 METRIC, 30 LOC, 20 ORG, 6 HONOR per the foundation issue
    s = stats(read_gold(root / "data/gold/article.jsonl"))
    m = s["mentions"]
    assert 25 <= m["METRIC"] <= 40 and 25 <= m["LOC"] <= 40 and 15 <= m["ORG"] <= 25 and 4 <= m["HONOR"] <= 10
    assert s["sentences"] == 39


def test_article_gold_decided_hard_cases(root) -> None:
    mentions = {(r.id, s, lab) for r in read_gold(root / "data/gold/article.jsonl") for s, lab in r.mentions()}
    for case in [
        ("article-001", "浙东", "LOC"),
        ("article-001", "第二", "METRIC"),
        ("article-012", "浙江省科技进步一等奖", "HONOR"),
        ("article-013", "华中数控(温岭)研究院", "ORG"),
        ("article-020", "超50%", "METRIC"),
        ("article-025", "第一梯队", "METRIC"),
        ("article-027", "极氪", "ORG"),
        ("article-033", "不足8万元", "METRIC"),
    ]:
        assert case in mentions
    surfaces = {s for _, s, _ in mentions}
    assert not surfaces & {
        "2024年",
        "40多年",
        "415X",
        "全国",
        "全省",
        "我国",
        "极氪工厂",
        "2023年浙江省科技进步一等奖",
    }
