from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from zhner.annotate.schema import (
    BIO,
    BIOES,
    LABELS,
    SCHEMES,
    Span,
    TagSequenceError,
    span_problems,
    spans_to_tags,
    tags_to_spans,
)


def test_schema_labels_are_the_four_of_the_spec() -> None:
    assert LABELS == ("ORG", "LOC", "METRIC", "HONOR")


def test_schema_span_list_and_dict_forms_round_trip() -> None:
    s = Span(3, 7, "METRIC")
    assert Span.from_list(s.to_list()) == s
    assert Span.from_dict(s.to_dict()) == s
    assert repr(s) == "Span(3, 7, 'METRIC')"
    assert s.text_in("新增4个国家集群") == "个国家集"


@st.composite
def spans_over(draw, n: int):
    cuts = sorted(draw(st.sets(st.integers(0, n), max_size=12)))
    spans = []
    for a, b in zip(cuts[::2], cuts[1::2]):
        if a < b:
            spans.append(Span(a, b, draw(st.sampled_from(LABELS))))
    return spans


@pytest.mark.parametrize("scheme", [BIO, BIOES])
@given(data=st.data(), n=st.integers(0, 40))
def test_schema_tags_round_trip(scheme, data, n: int) -> None:
    spans = data.draw(spans_over(n))
    tags = spans_to_tags(n, spans, scheme)
    assert all(scheme.allowed(p, c) for p, c in zip(["O", *tags], tags))
    assert tags_to_spans(tags, scheme) == sorted(spans)


@pytest.mark.parametrize(
    ("scheme", "tags", "position"),
    [
        (BIO, ["O", "I-LOC"], 1),
        (BIO, ["B-LOC", "I-ORG"], 1),
        (BIOES, ["B-LOC", "O"], 1),
        (BIOES, ["B-LOC", "I-LOC"], 2),
        (BIOES, ["E-LOC"], 0),
    ],
)
def test_schema_strict_decoding_rejects_forbidden_transition(scheme, tags, position: int) -> None:
    with pytest.raises(TagSequenceError) as err:
        tags_to_spans(tags, scheme)
    assert err.value.position == position


@pytest.mark.parametrize(
    ("scheme", "tags", "spans"),
    [
        (BIO, ["I-LOC", "I-LOC", "B-ORG", "I-LOC"], [Span(2, 3, "ORG")]),
        (BIOES, ["B-LOC", "I-LOC", "O", "S-ORG"], [Span(3, 4, "ORG")]),
        (BIOES, ["B-LOC", "E-LOC", "E-LOC"], [Span(0, 2, "LOC")]),
    ],
)
def test_schema_lenient_decoding_keeps_only_well_formed_entities(scheme, tags, spans) -> None:
    assert tags_to_spans(tags, scheme, strict=False) == spans


def test_schema_tag_lists() -> None:
    assert SCHEMES["bio"].tags(["LOC"]) == ["O", "B-LOC", "I-LOC"]
    assert SCHEMES["bioes"].tags(["LOC"]) == ["O", "B-LOC", "I-LOC", "E-LOC", "S-LOC"]


def test_schema_span_problems_none_for_clean_spans() -> None:
    assert span_problems("浙江新增4个", [Span(0, 2, "LOC"), Span(4, 6, "METRIC")]) == []
