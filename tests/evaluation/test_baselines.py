from __future__ import annotations

import pytest
from zhner.annotate import Record, Span
from zhner.evaluation.baselines import dictionary_factory, metric_rules


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("营收3.9万亿元", ["3.9万亿元"]),
        ("市场占有率超50%", ["超50%"]),
        ("共计8000余家", ["8000余家"]),
        ("不足8万元提高到25.1万元", ["不足8万元", "25.1万元"]),
        ("包揽全球前两名", ["前两名"]),
        ("居全国第二", ["第二"]),
        ("约占三成", ["三成"]),
        ("今年1-10月", []),
        ("起步于20世纪70年代", []),
        ("培育发展一批先进制造业集群", []),
        ("第五届大会", []),
        ("年产能4000万吨/年", ["4000万吨/年"]),
        ("长株潭三市形成七大产业", ["三市", "七大"]),
        ("占比七成以上", ["七成以上"]),
        ("接近600万吨", ["600万吨"]),
        ("L4级自动驾驶和5G网络", []),
        ("项目二期投产", []),
        ("第8.5代线", []),
        ("增长了三天", []),
    ],
)
def test_baselines_metric_rules_follow_the_spec(text: str, expected: list[str]) -> None:
    assert [s.text_in(text) for s in metric_rules(text)] == expected


def test_baselines_dictionary_longest_match_and_majority_label() -> None:
    train = [
        Record("1", "浙江省经信厅和浙江", [Span(0, 6, "ORG"), Span(7, 9, "LOC")]),
        Record("2", "浙江", [Span(0, 2, "LOC")]),
    ]
    predict = dictionary_factory(train)
    text = "浙江省经信厅表示浙江"
    assert predict(text) == [Span(0, 6, "ORG"), Span(8, 10, "LOC")]


def test_baselines_dictionary_rules_is_the_defaults_extras_without_a_network() -> None:
    from zhner.evaluation.baselines import BASELINES

    train = [
        Record("1", "浙江省经信厅和浙江", [Span(0, 6, "ORG"), Span(7, 9, "LOC")]),
        Record("2", "增长12%", [Span(2, 5, "METRIC")]),
        Record("3", "在甬", [Span(1, 2, "LOC")]),  # one character: not in the lexicon
    ]
    predict = BASELINES["dictionary+rules"](train)
    text = "浙江省经信厅称甬企营收增长12%，达到3亿元"
    got = predict(text)
    assert [s.text_in(text) for s in got] == ["浙江省经信厅", "12%", "3亿元"]
    assert [s.label for s in got] == ["ORG", "METRIC", "METRIC"]


def test_lac_row_from_the_torch_port_without_a_lac_environment(monkeypatch) -> None:
    from zhner.evaluation import baselines

    monkeypatch.delenv(baselines.LAC_PYTHON, raising=False)
    assert "lac+rules" in baselines.active()  # the converted weights are in models/bundled/lac
    assert "torch" in baselines.notes()["lac+rules"]
    predict = baselines.active()["lac+rules"]([])
    spans = predict("华为公司在深圳投资3亿元")
    assert ("ORG", "华为公司") in {(s.label, "华为公司在深圳投资3亿元"[s.start : s.end]) for s in spans}
    assert {s.label for s in spans} >= {"LOC", "METRIC"}
