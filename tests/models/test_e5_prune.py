"""models.e5prune: an e5 directory cut down to the pieces of some texts computes the same on them.

The tiny E5S1 file of tests/models/test_e5.py is converted, then pruned to a few texts.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import pytest
import torch
from zhner.models import e5, e5prune
from zhner.models.base import load_tokenizer

_spec = importlib.util.spec_from_file_location("_tiny_e5", Path(__file__).with_name("test_e5.py"))
tiny_e5 = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tiny_e5)

TEXTS = ["国公司。", "株式a、1"]
UNSEEN = "家"  # a piece of the vocabulary, in none of TEXTS


@pytest.fixture(autouse=True)
def one_thread():
    torch.set_num_threads(1)


@pytest.fixture(scope="module")
def converted(tmp_path_factory) -> Path:
    from tokenizers import normalizers

    nfkc = normalizers.NFKC()
    norm = {}
    for cp in range(0x110000):
        if not 0xD800 <= cp <= 0xDFFF and (n := nfkc.normalize_str(chr(cp))) != chr(cp):
            norm[cp] = n
    for cp in tiny_e5.KEPT:
        norm.pop(cp)
    norm.update({cp: "" for cp in tiny_e5.DELETED})
    norm.update({cp: " " for cp in tiny_e5.TO_SPACE})
    where = tmp_path_factory.mktemp("e5prune")
    tiny_e5.write_tiny(where / "tiny-q4.bin", dict(sorted(norm.items())))
    e5.convert(where / "tiny-q4.bin", where / "e5")
    return where / "e5"


@pytest.fixture(scope="module")
def finetuned(converted, tmp_path_factory) -> Path:
    """A token classifier on the converted encoder, saved as training does (``bert.`` names, a head, zhner.json)."""
    from transformers import BertForTokenClassification

    torch.manual_seed(0)
    model = BertForTokenClassification.from_pretrained(converted, num_labels=3)
    out = tmp_path_factory.mktemp("ft") / "model"
    model.save_pretrained(out)
    load_tokenizer(str(converted)).save_pretrained(out)
    (out / "zhner.json").write_text('{"format": 1, "head": "softmax"}\n', encoding="utf-8")
    return out


def _encode(model_dir: Path, texts: list[str]):
    tok = load_tokenizer(str(model_dir))
    return tok([list(t) for t in texts], is_split_into_words=True, padding=True, return_tensors="pt")


@pytest.mark.parametrize("kind", ["converted", "finetuned"])
def test_the_pruned_model_computes_the_same_on_the_texts_and_unseen_characters_become_unk(
    kind, request, tmp_path
) -> None:
    from transformers import AutoModel, AutoModelForTokenClassification

    src = request.getfixturevalue(kind)
    out = tmp_path / "pruned"
    result = e5prune.prune(src, out, TEXTS)
    before = json.loads((src / "config.json").read_text(encoding="utf-8"))
    after = json.loads((out / "config.json").read_text(encoding="utf-8"))
    assert after["vocab_size"] == result["pieces_after"] < before["vocab_size"] == tiny_e5.VOCAB
    assert result["pieces_before"] == len(tiny_e5.PIECES) and result["bytes_after"] < result["bytes_before"]
    assert after["pruned_from"]["vocab_size"] == tiny_e5.VOCAB

    a, b = _encode(src, TEXTS), _encode(out, TEXTS)
    assert a["input_ids"].tolist() != b["input_ids"].tolist()  # remapped
    assert (a["attention_mask"] == b["attention_mask"]).all()
    cls = AutoModel if kind == "converted" else AutoModelForTokenClassification
    m1, m2 = cls.from_pretrained(src).eval(), cls.from_pretrained(out).eval()
    assert m2.get_input_embeddings().weight.shape[0] == after["vocab_size"]
    with torch.no_grad():
        y1, y2 = m1(**a)[0], m2(**b)[0]
    torch.testing.assert_close(y2, y1, atol=1e-5, rtol=0)

    tok1, tok2 = load_tokenizer(str(src)), load_tokenizer(str(out))
    assert tok1.convert_ids_to_tokens(tok1([[UNSEEN]], is_split_into_words=True)["input_ids"][0]) == [
        "<s>",
        UNSEEN,
        "</s>",
    ]
    assert tok2.convert_ids_to_tokens(tok2([[UNSEEN]], is_split_into_words=True)["input_ids"][0]) == [
        "<s>",
        "<unk>",
        "</s>",
    ]
    assert tok2.pad_token_id == after["pad_token_id"] and tok2.mask_token == "<mask>"
    assert tok2.convert_ids_to_tokens(tok2.mask_token_id) == "<mask>"
    if kind == "finetuned":
        assert (out / "zhner.json").read_bytes() == (src / "zhner.json").read_bytes()


def test_an_earlier_pruning_is_replaced_and_another_directory_refused(converted, tmp_path) -> None:
    out = tmp_path / "p"
    e5prune.prune(converted, out, TEXTS)
    e5prune.prune(converted, out, TEXTS[:1])
    assert json.loads((out / "config.json").read_text(encoding="utf-8"))["vocab_size"] < tiny_e5.VOCAB
    other = tmp_path / "other"
    other.mkdir()
    (other / "keep.txt").write_text("x", encoding="utf-8")
    with pytest.raises(e5.E5Error, match="not an earlier pruning"):
        e5prune.prune(converted, other, TEXTS)
    with pytest.raises(e5.E5Error, match="must not be"):
        e5prune.prune(converted, converted, TEXTS)
    assert (other / "keep.txt").is_file()


def test_zhner_train_prune_e5(converted, tmp_path, capsys) -> None:
    from zhner.train.cli import main

    txt = tmp_path / "t.txt"
    txt.write_text(TEXTS[0] + "\n", encoding="utf-8")
    gold = tmp_path / "g.jsonl"
    gold.write_text(json.dumps({"id": "g1", "text": TEXTS[1], "entities": []}, ensure_ascii=False) + "\n", "utf-8")
    src = tmp_path / "src"
    shutil.copytree(converted, src)
    assert main(["prune-e5", str(src), "--output", str(tmp_path / "p"), "--texts", str(txt), str(gold)]) == 0
    printed = capsys.readouterr().out
    assert "pieces kept" in printed and "MB ->" in printed and " s" in printed
    assert main(["prune-e5", str(src), "--output", str(tmp_path / "q"), "--texts", str(tmp_path / "no.txt")]) == 1
