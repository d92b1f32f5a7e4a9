"""Knowledge sources as token types (model.char_features): ids, their alignment to tokens, the grown
token-type table, and a trained model that computes them again when it predicts."""

from __future__ import annotations

import json

import pytest
import torch
from zhner.models.base import SCRATCH, ScratchSize, build_token_classifier, set_type_vocab
from zhner.models.charfeats import (
    JIEBA_CLASSES,
    POSITIONS,
    CharFeatures,
    Source,
    char_features,
    jieba_ids,
    names_ids,
)
from zhner.models.features import encode_batch
from zhner.models.vocab import build_tokenizer


def test_jieba_ids_give_word_position_and_tag_class() -> None:
    [ids] = jieba_ids(["浙江省宣布"])
    # 浙江省 is a place (ns, class 0): begin, middle, end; 宣布 is neither noun nor name: begin, end
    other = len(JIEBA_CLASSES)
    assert ids == [1, 2, 3, 1 + 0 + POSITIONS * other, 1 + 2 + POSITIONS * other]
    assert jieba_ids([""]) == [[]]


def test_jieba_ids_one_per_character_on_odd_text() -> None:
    texts = ["ＡＢＣ１２３ 公司😀", "\u3000\t", "x" * 3000]
    assert [len(ids) for ids in jieba_ids(texts)] == [len(t) for t in texts]
    assert all(1 <= v <= POSITIONS * (len(JIEBA_CLASSES) + 1) for ids in jieba_ids(texts) for v in ids)


def test_names_ids_mark_places_trade_names_and_suffixes() -> None:
    place, trade, suffix = 1, POSITIONS + 1, (POSITIONS + 1) ** 2  # radix of each list
    [ids] = names_ids(["宁波分公司"])  # 宁波: a listed place; 分公司: a listed suffix
    assert ids[:2] == [1 + 1 * place, 1 + 3 * place]
    assert ids[2:] == [1 + 1 * suffix, 1 + 2 * suffix, 1 + 3 * suffix]
    [ids] = names_ids(["格力"])  # a listed trade name, in no other list
    assert ids == [1 + 1 * trade, 1 + 3 * trade]
    [ids] = names_ids(["的了吗"])
    assert ids == [1, 1, 1]


def test_names_ids_on_long_and_odd_text() -> None:
    texts = ["ＡＢＣ１２３ 公司😀", "", "杭州" * 50_000]
    out = names_ids(texts)
    assert [len(ids) for ids in out] == [len(t) for t in texts]
    assert all(1 <= v <= (POSITIONS + 1) ** 3 for ids in out for v in ids)


def _fixed(name: str, size: int, value: int) -> Source:
    return Source(name, size, lambda texts: [[value] * len(t) for t in texts])


def test_combined_ids_are_distinct_and_in_range() -> None:
    seen = set()
    for a in range(1, 4):
        for b in range(1, 6):
            feats = CharFeatures((_fixed("a", 3, a), _fixed("b", 5, b)))
            [[v]] = feats(["字"])
            assert 1 <= v < feats.size == 1 + 3 * 5
            seen.add(v)
    assert len(seen) == 15


def test_a_source_that_loses_characters_is_an_error() -> None:
    bad = CharFeatures((Source("short", 2, lambda texts: [[1] for _ in texts]),))
    with pytest.raises(RuntimeError, match="gave 1 ids for 3 characters"):
        bad(["三个字"])


def test_unknown_source_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match="jieba, lac"):
        char_features(["gazetteer"])
    assert char_features([]) is None


def _tiny():
    tok = build_tokenizer()
    model, _ = build_token_classifier(SCRATCH, ["O", "B-ORG", "I-ORG"], ScratchSize(2, 32, 2, 64, 64), len(tok))
    return model.eval(), tok


def test_token_types_follow_characters_across_windows() -> None:
    text = "甲乙丙丁" * 20
    tok = build_tokenizer()
    ids = [list(range(1, len(text) + 1))]
    [enc] = encode_batch(tok, [text], max_length=16, stride=4, char_ids=ids)
    assert len(enc.windows) > 1
    for w in enc.windows:
        assert w.token_types[0] == 0 and w.token_types[-1] == 0  # [CLS], [SEP]
        for t, c in enumerate(w.char_index):
            if c >= 0:
                assert w.token_types[t] == c + 1
    [plain] = encode_batch(tok, [text], max_length=16, stride=4)
    assert all(w.token_types is None for w in plain.windows)


def test_grown_type_table_changes_nothing_until_trained() -> None:
    model, tok = _tiny()
    batch = tok(["公司在杭州"], return_tensors="pt")
    before = model(**batch).logits
    assert set_type_vocab(model, 25)
    assert model.config.type_vocab_size == 25
    types = torch.randint(0, 25, batch["input_ids"].shape)
    after = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], token_type_ids=types).logits
    torch.testing.assert_close(before, after)
    assert not set_type_vocab(model, 25)  # already that size: left as it is


def test_trained_model_with_features_predicts_from_them(tmp_path) -> None:
    """A model saved with char_features recomputes them at prediction: changing a type row changes the output."""
    from zhner.inference import Extractor
    from zhner.models import modeldir

    model, tok = _tiny()
    set_type_vocab(model, char_features(["jieba"]).size)
    meta = modeldir.ModelMeta("softmax", "bio", 64, 8, SCRATCH, False, char_features=["jieba"])
    modeldir.save(tmp_path / "m", model, tok, meta)
    assert json.loads((tmp_path / "m" / "zhner.json").read_text())["char_features"] == ["jieba"]
    ex = Extractor.load(tmp_path / "m", postprocess=False)
    assert ex.features is not None
    text = "通用汽车宣布"
    [enc] = encode_batch(ex.tokenizer, [text], max_length=64, stride=8, char_ids=ex.features([text]))
    [window] = enc.windows
    before = ex._score_windows([window], 8)[0]
    with torch.no_grad():
        row = ex.model.bert.embeddings.token_type_embeddings.weight[5]  # 通 begins an nt word: type 5
        row.add_(torch.randn(row.shape, generator=torch.Generator().manual_seed(0)))  # not uniform: LayerNorm
    after = ex._score_windows([window], 8)[0]
    assert not (before == after).all()
