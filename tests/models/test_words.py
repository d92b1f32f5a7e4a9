"""models.words: jieba's word boundaries, and ORG/LOC fragments of a word snapped to it or dropped
(model.word_edges), alone, inside postprocess and through the Extractor."""

from __future__ import annotations

import json
import shutil
import sys

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from zhner.annotate.schema import LABELS, Span
from zhner.inference import Extractor
from zhner.models import modeldir, words
from zhner.models.postprocess import postprocess
from zhner.models.words import SegmenterUnavailable, boundaries, word_edges
from zhner.train.config import ConfigError, load_config

torch.set_num_threads(1)

GM = "通用汽车宣布裁员"  # jieba: 通用汽车/宣布/裁员


def test_boundaries_are_word_starts_and_ends_with_both_ends_of_the_text() -> None:
    assert boundaries(GM) == {0, 4, 6, 8}
    assert boundaries("方正证券行业分析师") == {0, 2, 4, 6, 9}
    assert boundaries("IBM 公司") == {0, 3, 4, 6}  # the space is a word of its own
    assert boundaries("通用汽车公司") == {0, 6}  # one word in jieba's dictionary
    assert boundaries("") == {0}


@given(st.text(max_size=40))
def test_boundaries_are_offsets_into_any_text(text: str) -> None:
    got = boundaries(text)
    assert {0, len(text)} <= got and all(0 <= b <= len(text) for b in got)


def test_jieba_missing_is_one_sentence_naming_the_install(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "jieba", None)  # import jieba raises ImportError
    words._tokenizer.cache_clear()
    try:
        with pytest.raises(SegmenterUnavailable, match=r"pip install jieba==0\.42\.1$"):
            boundaries(GM)
    finally:
        words._tokenizer.cache_clear()


def test_predict_without_jieba_is_a_one_line_error(tmp_path, monkeypatch, capsys) -> None:
    """A model with word_edges set fails at load, before any text, naming the install."""
    from zhner.inference.cli import main

    model = tmp_path / "model"
    shutil.copytree(modeldir.SHIPPED, model)
    meta = json.loads((model / "zhner.json").read_text(encoding="utf-8"))
    (model / "zhner.json").write_text(json.dumps({**meta, "word_edges": "drop"}), encoding="utf-8")
    (tmp_path / "in.txt").write_text(GM + "\n", encoding="utf-8")
    monkeypatch.setitem(sys.modules, "jieba", None)
    words._tokenizer.cache_clear()
    try:
        assert main(["--model", str(model), "-q", str(tmp_path / "in.txt")]) == 1
    finally:
        words._tokenizer.cache_clear()
    out = capsys.readouterr()
    assert out.out == ""
    assert out.err == "error: model.word_edges needs the jieba segmenter: pip install jieba==0.42.1\n"


def test_jieba_loads_its_dictionary_quietly(capfd) -> None:
    words._tokenizer.cache_clear()
    boundaries(GM)
    assert capfd.readouterr().err == ""  # no "Building prefix dict from the default dictionary ..."


def test_snap_extends_a_fragment_to_its_word_and_keeps_its_score() -> None:
    assert word_edges(GM, {Span(0, 3, "ORG"): 0.8}, "snap") == {Span(0, 4, "ORG"): 0.8}  # 通用汽 -> 通用汽车
    text = "同塔吉克斯坦2030年"  # 塔吉克斯 -> 塔吉克斯坦
    assert word_edges(text, {Span(1, 5, "LOC"): 0.7}, "snap") == {Span(1, 6, "LOC"): 0.7}
    # a span one character too long gets a word longer (方正证券行 -> 方正证券行业): drop removes it instead
    text = "对此,方正证券行业分析师"
    assert word_edges(text, {Span(3, 8, "ORG"): 0.7}, "snap") == {Span(3, 9, "ORG"): 0.7}
    assert word_edges(text, {Span(3, 8, "ORG"): 0.7}, "drop") == {}


def test_snap_moves_an_edge_by_one_character_at_most() -> None:
    # 通用汽 inside the one word 通用汽车公司: three characters to add, so it stays as it is
    assert word_edges("通用汽车公司", {Span(0, 3, "ORG"): 0.8}, "snap") == {Span(0, 3, "ORG"): 0.8}
    assert word_edges(GM, {Span(2, 3, "ORG"): 0.8}, "snap") == {Span(2, 3, "ORG"): 0.8}  # 汽: 2 to the left
    assert word_edges(GM, {Span(1, 3, "ORG"): 0.8}, "snap") == {Span(0, 4, "ORG"): 0.8}  # 用汽: 1 on each side


def test_snap_leaves_a_fragment_whose_word_overlaps_another_span() -> None:
    spans = {Span(0, 3, "ORG"): 0.8, Span(3, 4, "METRIC"): 0.5}  # 通用汽 | 车
    assert word_edges(GM, spans, "snap") == spans
    neighbours = {Span(0, 3, "ORG"): 0.8, Span(3, 6, "LOC"): 0.5}  # 车宣布 cuts 通用汽车 too, and cannot snap
    assert word_edges(GM, neighbours, "snap") == neighbours


def test_drop_removes_only_org_and_loc_spans_that_cut_a_word() -> None:
    spans = {Span(0, 3, "ORG"): 0.8, Span(4, 6, "LOC"): 0.6}  # 通用汽 cuts a word, 宣布 does not
    assert word_edges(GM, spans, "drop") == {Span(4, 6, "LOC"): 0.6}
    assert word_edges("通用汽车公司", {Span(0, 3, "ORG"): 0.8}, "drop") == {}


@pytest.mark.parametrize("mode", ["snap", "drop"])
def test_metric_and_honor_spans_are_left_to_their_rules(mode: str) -> None:
    text = "营收3.9万亿元，入选全国百强县"  # 3.9万 cuts 万亿元, 全国百强 cuts 百强县
    spans = {Span(2, 6, "METRIC"): 0.9, Span(10, 14, "HONOR"): 0.9}
    assert word_edges(text, spans, mode) == spans


def test_none_and_unknown_modes() -> None:
    spans = {Span(0, 3, "ORG"): 0.8}
    assert word_edges(GM, spans, "none") == spans
    with pytest.raises(ValueError, match="unknown word_edges mode 'bogus'; choose one of: none, snap, drop"):
        word_edges(GM, spans, "bogus")


def test_postprocess_applies_word_edges_to_the_network_before_the_lexicon() -> None:
    """A dropped fragment leaves room for the known name (lexicon fill); the lexicon's own spans are kept."""
    network = {Span(0, 3, "ORG"): 0.8}
    known = [Span(0, 4, "ORG")]  # 通用汽车 in the model's lexicon
    assert postprocess(GM, network, known, "fill", "none") == network
    assert postprocess(GM, network, known, "fill", "none", word_mode="drop") == {Span(0, 4, "ORG"): 1.0}
    assert postprocess(GM, network, known, "fill", "none", word_mode="snap") == {Span(0, 4, "ORG"): 0.8}
    assert postprocess(GM, {}, [Span(0, 3, "ORG")], "fill", "none", word_mode="drop") == {Span(0, 3, "ORG"): 1.0}


TEXT = "美国通用汽车公司22日宣布，将在浙江省温岭市投资3.9万亿元建设新工厂，方正证券行业分析师表示。"


def flat_spans(triples: list[tuple[int, int, int]]) -> dict[Span, float]:
    """Non-overlapping spans over TEXT from (start, length, label index) triples."""
    spans: list[Span] = []
    for start, length, k in sorted(triples):
        end = min(start + length, len(TEXT))
        if end > start and (not spans or spans[-1].end <= start):
            spans.append(Span(start, end, LABELS[k]))
    return {s: 0.5 + i / 100 for i, s in enumerate(spans)}


triples = st.lists(
    st.tuples(st.integers(0, len(TEXT) - 1), st.integers(1, 8), st.integers(0, len(LABELS) - 1)), max_size=8
)


@given(triples, st.sampled_from(["snap", "drop"]))
def test_word_edges_keep_spans_flat_valid_and_other_labels_as_they_are(draw, mode: str) -> None:
    spans = flat_spans(draw)
    got = word_edges(TEXT, spans, mode)
    bounds = boundaries(TEXT)
    assert list(got) == sorted(got) and all(a.end <= b.start for a, b in zip(list(got), list(got)[1:]))
    assert all(0 <= s.start < s.end <= len(TEXT) for s in got)
    assert {s: v for s, v in got.items() if s.label not in ("ORG", "LOC")} == {
        s: v for s, v in spans.items() if s.label not in ("ORG", "LOC")
    }
    assert all(s in got for s in spans if s.start in bounds and s.end in bounds)  # whole words stay
    if mode == "drop":
        assert set(got) <= set(spans)
    else:
        assert len(got) == len(spans)


@pytest.fixture(scope="module")
def shipped() -> Extractor:
    return Extractor.load()


@pytest.mark.parametrize("mode", ["none", "snap", "drop"])
def test_extractor_passes_word_edges_and_offsets_stay_on_the_callers_text(shipped, mode: str) -> None:
    """The shipped model with model.word_edges set: its entities are postprocess's, and each entity's text is
    its slice of the input, Traditional input included (segmented after conversion, mapped back)."""
    meta = shipped.meta
    saved = (meta.word_edges, meta.lexicon)
    try:
        shipped.postprocess = False
        network = {e.span: e.score for e in shipped(TEXT)}
        shipped.postprocess, meta.word_edges, meta.lexicon = True, mode, "none"
        expected = postprocess(TEXT, network, [], "none", meta.rules, honor_mode=meta.honor_rules, word_mode=mode)
        assert [e.span for e in shipped(TEXT)] == list(expected)
        texts = [TEXT, "美國通用汽車公司22日宣布，將在浙江省溫嶺市投資3.9萬億元建設新工廠。", "  IBM 公司 "]
        for text, ents in zip(texts, shipped.extract_many(texts)):
            assert all(e.text == text[e.start : e.end] for e in ents)
    finally:
        shipped.postprocess = True
        meta.word_edges, meta.lexicon = saved


def test_model_directories_without_the_key_read_none() -> None:
    assert modeldir.DEFAULTS["word_edges"] == "none"
    assert modeldir.read_meta(modeldir.SHIPPED).word_edges == "drop"  # the shipped model sets it


def test_config_checks_the_mode() -> None:
    assert load_config(None).model.word_edges == "drop"
    assert load_config(None, ["model.word_edges=none"]).model.word_edges == "none"
    with pytest.raises(ConfigError, match=r"model\.word_edges: 'cut' is not one of none, snap, drop"):
        load_config(None, ["model.word_edges=cut"])
