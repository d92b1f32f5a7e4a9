from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st
from zhner.annotate import read_gold
from zhner.annotate.split import document_problems, read_raw, sentence_offsets, split_text


def test_split_article_gold_maps_back_to_raw_exactly(root) -> None:
    raw = read_raw(root / "data/raw/article.txt")
    records = read_gold(root / "data/gold/article.jsonl")
    assert document_problems(raw, records) == []
    pieces, pos = [], 0
    for rec in records:
        gap = raw[pos : rec.meta["doc_start"]]
        assert gap.strip() == ""
        pieces += [gap, rec.text]
        pos = rec.meta["doc_start"] + len(rec.text)
    assert "".join(pieces) + raw[pos:] == raw


# sha256 of ../shared/article.txt, the source the project was given (5,706 bytes)
ARTICLE_SHA256 = "53738d4e8f87b6d857f87ab311ac330431c321a276222b1a3c70bad78843b113"


def test_split_article_raw_is_byte_identical_to_the_source(root) -> None:
    raw = (root / "data/raw/article.txt").read_bytes()
    assert hashlib.sha256(raw).hexdigest() == ARTICLE_SHA256
    shared = root.parent / "shared" / "article.txt"
    if shared.exists():  # where the original is beside the checkout, compare with it directly too
        assert raw == shared.read_bytes()


def test_split_article_gold_sentences_are_the_splitter_output(root) -> None:
    raw = read_raw(root / "data/raw/article.txt")
    gold = read_gold(root / "data/gold/article.jsonl")
    assert [(r.id, r.text, r.meta["doc_start"]) for r in split_text(raw, "article")] == [
        (r.id, r.text, r.meta["doc_start"]) for r in gold
    ]


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        ("他说:“好。”然后走了。", ["他说:“好。”", "然后走了。"]),
        ("真的吗?!是的……\n\n第二段", ["真的吗?!", "是的……", "第二段"]),
        ("  前后空白  \n", ["前后空白"]),
        ("没有句号", ["没有句号"]),
        ("", []),
        (" \n\t ", []),
    ],
)
def test_split_sentences(text: str, sentences: list[str]) -> None:
    assert [text[a:b] for a, b in sentence_offsets(text)] == sentences


@given(st.text(alphabet=st.sampled_from(list("浙江。！？!?…”’」) \n\t\r\u3000a1😀")), max_size=200))
def test_split_loses_nothing(text: str) -> None:
    records = split_text(text, "d")
    assert document_problems(text, records) == []
    for rec in records:
        assert rec.text and not rec.text[0].isspace() and not rec.text[-1].isspace()
        assert "\n" not in rec.text
