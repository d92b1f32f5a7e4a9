from __future__ import annotations

from zhner.annotate import read_gold
from zhner.models.vocab import SPECIAL, build_tokenizer, build_vocab


def test_vocab_is_deterministic_and_unique() -> None:
    v = build_vocab()
    assert v == build_vocab()
    assert len(v) == len(set(v))
    assert v[:5] == SPECIAL


def test_vocab_no_gold_character_maps_to_unk(root) -> None:
    tok = build_tokenizer()
    unk = tok.unk_token_id
    for rec in read_gold(root / "data/gold/article.jsonl"):
        for ch in rec.text:
            if ch.isspace():
                continue
            ids = tok(ch, add_special_tokens=False)["input_ids"]
            assert ids and unk not in ids, (rec.id, ch)


def test_vocab_tokenizer_survives_save_and_reload(tmp_path) -> None:
    from transformers import AutoTokenizer

    tok = build_tokenizer()
    tok.save_pretrained(tmp_path)
    assert (tmp_path / "tokenizer.json").is_file()
    back = AutoTokenizer.from_pretrained(tmp_path)
    assert len(back) == len(tok) > 20000
    text = "浙江省经信厅2311.7亿元DVR１２３"
    assert back(text)["input_ids"] == tok(text)["input_ids"]
    assert tok.unk_token_id not in tok(text)["input_ids"]
