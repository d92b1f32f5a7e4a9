from __future__ import annotations

import itertools
import json
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from zhner.inference import Entity, Extractor
from zhner.models.modeldir import ModelDirError

PIECES = [
    "浙江省经信厅",
    "海康威视",
    "2311.7亿元",
    "１２３４５",
    "增长22.1%",
    "😀",
    "🏭🚗",
    "營業收入",
    "臺灣",
    "DVR",
    "NVR",
    "\x00",
    "\x07",
    "\u200b",
    "\t",
    " ",
    "\u3000",
    "\n",
    "\n\n",
    "。",
    "！",
    "？",
    "”",
    "……",
    "全国第二",
    "长三角",
    "a" * 30,
    "数" * 700,
]


@pytest.fixture(scope="module")
def extractor(tiny_model) -> Extractor:
    return Extractor.load(tiny_model)


def random_document(rng: random.Random, size: int) -> str:
    parts, n = [], 0
    while n < size:
        p = rng.choice(PIECES)
        parts.append(p)
        n += len(p)
    return "".join(parts)[:size]


@pytest.mark.parametrize("size", [0, 1, 50, 3000, 100_000])
def test_extractor_offsets_point_into_original_text(extractor, size: int) -> None:
    rng = random.Random(size)
    text = random_document(rng, size)
    for ent in extractor(text):
        assert text[ent.start : ent.end] == ent.text
        assert ent.text and not ent.text[0].isspace() and not ent.text[-1].isspace()
        assert 0.0 <= ent.score <= 1.0


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(PIECES[:-1]), max_size=40))
def test_extractor_offsets_property(extractor, parts: list[str]) -> None:
    text = "".join(parts)
    ents = extractor(text)
    assert all(text[e.start : e.end] == e.text for e in ents)
    assert all(a.end <= b.start for a, b in itertools.pairwise(ents))


@pytest.mark.parametrize("text", ["", "   ", "\n\n\t", "\u3000"])
def test_extractor_empty_or_whitespace_gives_nothing(extractor, text: str) -> None:
    assert extractor(text) == []


def test_extractor_many_keeps_input_order_and_matches_single_calls(extractor) -> None:
    texts = ["浙江新增4个集群。", "", "海康威视营收2311.7亿元。" * 30, "温岭"]

    def spans(results):
        return [[e.span for e in ents] for ents in results]

    many = extractor.extract_many(texts, batch_size=2)
    assert spans(many) == spans([extractor(t) for t in texts])  # scores may differ in the last bf16 bits
    assert spans(extractor.stream(iter(texts), chunk=3)) == spans(many)


def test_extractor_refuses_a_bare_string_in_extract_many(extractor) -> None:
    with pytest.raises(TypeError):
        extractor.extract_many("浙江")


def test_extractor_entity_repr_and_dict() -> None:
    e = Entity(0, 2, "LOC", "浙江", 0.98765)
    assert repr(e) == "Entity(0, 2, 'LOC', '浙江', 0.99)"
    assert e.to_dict() == {"start": 0, "end": 2, "label": "LOC", "text": "浙江", "score": 0.98765}


def test_extractor_missing_model_directory(tmp_path) -> None:
    with pytest.raises(ModelDirError, match="no such model directory"):
        Extractor.load(tmp_path / "nope")


def test_extractor_directory_without_labels(tmp_path, tiny_model) -> None:
    d = tmp_path / "m"
    d.mkdir()
    config = json.loads((tiny_model / "config.json").read_text(encoding="utf-8"))
    config.pop("id2label")
    config.pop("label2id")
    (d / "config.json").write_text(json.dumps(config), encoding="utf-8")
    with pytest.raises(ModelDirError, match="has no entity labels in id2label"):
        Extractor.load(d)


def test_extractor_bf16_and_fp32_agree_on_article(tiny_model, root) -> None:
    text = (root / "data/raw/article.txt").read_text(encoding="utf-8")
    a = Extractor.load(tiny_model, bf16="false")(text)
    b = Extractor.load(tiny_model, bf16="true")(text)
    same = len({e.span for e in a} & {e.span for e in b})
    assert same >= 0.9 * max(len(a), len(b), 1)


@pytest.mark.parametrize("mode", ["fill", "override"])
def test_extractor_metric_rules_join_the_model(tiny_model, mode: str) -> None:
    ex = Extractor.load(tiny_model)
    ex.meta.rules = mode
    text = "营收3.9万亿元,占全省53%,居全国第二。"
    ents = ex(text)
    metrics = {e.text for e in ents if e.label == "METRIC"}
    rules = {"3.9万亿元", "53%", "第二"}
    if mode == "override":
        assert metrics == rules
    else:  # each rule span is there, or the model already had a span over its characters
        for surface in rules:
            start = text.index(surface)
            end = start + len(surface)
            assert surface in metrics or any(e.start < end and start < e.end for e in ents)
    assert all(a.end <= b.start for a, b in itertools.pairwise(ents))
    assert all(text[e.start : e.end] == e.text for e in ents)


def test_extractor_lexicon_first_finds_known_names(tiny_model) -> None:
    ex = Extractor.load(tiny_model)
    ex.meta.rules = "none"
    ex.meta.lexicon = "first"
    ex.lexicon = {"浙江省经信厅": "ORG", "国家先进制造业集群": "HONOR"}
    text = "浙江省经信厅表示,温岭入选国家先进制造业集群。"
    ents = ex(text)
    assert {(e.text, e.label) for e in ents} >= {("浙江省经信厅", "ORG"), ("国家先进制造业集群", "HONOR")}
    assert all(a.end <= b.start for a, b in itertools.pairwise(ents))


def test_extractor_reads_the_lexicon_written_by_training(tiny_model) -> None:
    lexicon = Extractor.load(tiny_model).lexicon
    assert lexicon and all(label in ("ORG", "LOC", "HONOR") and len(s) >= 2 for s, label in lexicon.items())


def test_model_saved_in_fp16_loads_and_predicts_as_fp32(tiny_model, tmp_path) -> None:
    """A model directory whose weights are stored in fp16 (a bundle kept in git) predicts like its fp32 self."""
    import shutil

    import torch
    from safetensors.torch import load_file, save_file
    from zhner.inference import Extractor

    half = tmp_path / "half"
    shutil.copytree(tiny_model, half)
    weights = half / "model.safetensors"
    save_file({k: v.half() for k, v in load_file(weights).items()}, weights, metadata={"format": "pt"})
    config = json.loads((half / "config.json").read_text(encoding="utf-8"))
    (half / "config.json").write_text(json.dumps({**config, "dtype": "float16"}), encoding="utf-8")  # as save_fp16
    ex = Extractor.load(half)
    assert next(ex.model.parameters()).dtype == torch.float32
    texts = ["浙江新增4个国家先进制造业集群", "杭州海康威视营收增长12%"]
    full = Extractor.load(tiny_model)
    assert [[e.span for e in ents] for ents in ex.extract_many(texts)] == [
        [e.span for e in ents] for ents in full.extract_many(texts)
    ]
