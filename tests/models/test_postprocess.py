"""models.postprocess: the one post-processing that `zhner predict` and the evaluation report share."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from zhner.annotate.schema import LABELS, Span
from zhner.models.lexicon import combine as combine_lexicon
from zhner.models.lexicon import match
from zhner.models.postprocess import postprocess
from zhner.models.rules import combine as combine_rules
from zhner.models.rules import metric_rules

TEXT = "浙江省经信厅表示,温岭市营收3.9万亿元,占全省53%,居全国第二,入选国家先进制造业集群。"


def flat_spans(draw_starts: list[tuple[int, int, int]]) -> list[Span]:
    """Non-overlapping spans over TEXT from (start, length, label index) triples."""
    spans: list[Span] = []
    for start, length, k in sorted(draw_starts):
        end = min(start + length, len(TEXT))
        if end > start and (not spans or spans[-1].end <= start):
            spans.append(Span(start, end, LABELS[k]))
    return spans


triples = st.lists(
    st.tuples(st.integers(0, len(TEXT) - 1), st.integers(1, 8), st.integers(0, len(LABELS) - 1)), max_size=8
)


def by_hand(spans: dict[Span, float], lexicon: list[Span], lexicon_mode: str, rules_mode: str) -> dict[Span, float]:
    """The two steps as inference/extractor.py wrote them before they were one function."""
    if lexicon_mode != "none" and lexicon:
        merged = combine_lexicon(list(spans), lexicon, lexicon_mode)
        spans = {s: spans.get(s, 1.0) for s in merged}
    if rules_mode != "none":
        spans = {s: spans.get(s, 1.0) for s in combine_rules(list(spans), metric_rules(TEXT), rules_mode)}
    return spans


@given(triples, triples, st.sampled_from(["none", "fill", "first"]), st.sampled_from(["none", "fill", "override"]))
def test_postprocess_is_the_lexicon_then_the_rules(model, lexicon, lexicon_mode, rules_mode) -> None:
    spans = {s: 0.5 + i / 100 for i, s in enumerate(flat_spans(model))}
    lex = flat_spans(lexicon)
    got = postprocess(TEXT, spans, lex, lexicon_mode, rules_mode)
    expected = by_hand(spans, lex, lexicon_mode, rules_mode)
    assert got == expected
    assert list(got) == sorted(got)
    assert all(a.end <= b.start for a, b in zip(list(got), list(got)[1:]))
    assert all(got[s] == spans[s] for s in got if s in spans)
    assert all(got[s] == 1.0 for s in got if s not in spans)


def test_postprocess_user_names_come_after_the_lexicon_and_before_the_rules() -> None:
    network = {Span(0, 2, "LOC"): 0.7, Span(8, 11, "ORG"): 0.6}
    known = [Span(0, 6, "ORG")]  # the model's lexicon: 浙江省经信厅
    user = [Span(8, 11, "LOC")]  # the user's: 温岭市
    fill = postprocess(TEXT, network, known, "fill", "none", user_spans=user, user_mode="fill")
    assert fill == network  # fill never replaces a span of the network
    first = postprocess(TEXT, network, known, "fill", "none", user_spans=user, user_mode="first")
    assert first == {Span(0, 2, "LOC"): 0.7, Span(8, 11, "LOC"): 1.0}  # the model's lexicon stays fill
    with_rules = postprocess(TEXT, network, known, "first", "override", user_spans=user, user_mode="first")
    assert Span(0, 6, "ORG") in with_rules and Span(8, 11, "LOC") in with_rules
    assert {s.text_in(TEXT) for s in with_rules if s.label == "METRIC"} == {"3.9万亿元", "53%", "第二"}


def test_postprocess_leaves_its_input_alone() -> None:
    network = {Span(0, 2, "LOC"): 0.7}
    postprocess(TEXT, network, match(TEXT, {"浙江省经信厅": "ORG"}), "first", "override")
    assert network == {Span(0, 2, "LOC"): 0.7}


def test_lac_words_fill_or_win_and_the_users_names_come_after_them() -> None:
    from zhner.models.postprocess import postprocess

    text = "通用汽车在上海建厂"
    net = {Span(0, 2, "LOC"): 0.6}
    lac = [Span(0, 4, "ORG"), Span(5, 7, "LOC")]
    fill = postprocess(text, net, [], "none", "none", lac_spans=lac, lac_mode="fill")
    assert list(fill) == [Span(0, 2, "LOC"), Span(5, 7, "LOC")]  # LAC only where the network found nothing
    first = postprocess(text, net, [], "none", "none", lac_spans=lac, lac_mode="first")
    assert list(first) == [Span(0, 4, "ORG"), Span(5, 7, "LOC")]
    assert postprocess(text, net, [], "none", "none", lac_spans=lac, lac_mode="none") == net
    user = postprocess(
        text,
        net,
        [],
        "none",
        "none",
        lac_spans=lac,
        lac_mode="first",
        user_spans=[Span(5, 7, "ORG")],
        user_mode="first",
    )
    assert user[Span(5, 7, "ORG")] == 1.0
