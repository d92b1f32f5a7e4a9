from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from zhner.annotate import LABELS, Span
from zhner.annotate.schema import BIO, BIOES
from zhner.models.features import IGNORE, decode, encode, owner_windows
from zhner.models.vocab import build_tokenizer

TOKENIZER = build_tokenizer()
ALPHABET = [*list("浙江省经信厅海康威视營收億元12.5%亿 DVRabcＡＢ１２３,，。“”()😀🏭\u3000\t"), "\x00", "\u200b"]


@st.composite
def text_and_spans(draw):
    text = draw(st.text(alphabet=st.sampled_from(ALPHABET), max_size=90))
    cuts = sorted(draw(st.sets(st.integers(0, len(text)), max_size=10)))
    spans = [
        Span(a, b, draw(st.sampled_from(LABELS)))
        for a, b in zip(cuts[::2], cuts[1::2])
        if a < b and not text[a].isspace() and not text[b - 1].isspace()
    ]
    return text, spans


@pytest.mark.parametrize("scheme", [BIO, BIOES])
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=text_and_spans(), max_length=st.sampled_from([8, 16, 512]))
def test_features_alignment_round_trip(scheme, case, max_length: int) -> None:
    """spans -> token labels -> decoded spans gives back every alignable span, and reports the rest."""
    text, spans = case
    tags = scheme.tags(LABELS)
    label2id = {t: i for i, t in enumerate(tags)}
    enc = encode(
        TOKENIZER, text, max_length=max_length, stride=max_length // 4, spans=spans, label2id=label2id, scheme=scheme
    )
    unaligned = {s for s, _ in enc.unaligned}
    char_tags = {}
    for w, t in owner_windows(enc).values():
        win = enc.windows[w]
        assert win.labels[t] != IGNORE
        char_tags[win.char_index[t]] = tags[win.labels[t]]
    assert decode(char_tags, scheme) == sorted(set(spans) - unaligned)
    for span, reason in enc.unaligned:
        assert "gives no token" in reason
        assert span in spans
    for win in enc.windows:
        assert len(win.input_ids) <= max_length
        assert win.labels[0] == IGNORE and win.labels[-1] == IGNORE  # [CLS], [SEP]


def test_features_every_character_of_cjk_text_has_a_token() -> None:
    text = "浙江省经信厅：海康威视2311.7亿元，同比增长22.1%！DVR"
    enc = encode(
        TOKENIZER, text, max_length=512, stride=64, spans=[Span(0, 6, "ORG")], label2id={"O": 0, "B-ORG": 1, "I-ORG": 2}
    )
    assert enc.unaligned == []
    assert sorted(owner_windows(enc)) == list(range(len(text)))


def test_features_whitespace_edge_is_reported_not_shifted() -> None:
    text = "在\u200b杭州"
    enc = encode(
        TOKENIZER,
        text,
        max_length=512,
        stride=64,
        spans=[Span(1, 4, "LOC")],
        label2id={t: i for i, t in enumerate(BIO.tags(LABELS))},
    )
    assert [(s, r) for s, r in enc.unaligned] == [(Span(1, 4, "LOC"), "character 1 ('\\u200b') gives no token")]


def test_features_long_sentence_becomes_overlapping_windows() -> None:
    text = "浙江" * 100
    enc = encode(TOKENIZER, text, max_length=32, stride=8)
    assert len(enc.windows) > 1
    covered = sorted({c for w in enc.windows for c in w.char_index if c >= 0})
    assert covered == list(range(200))
