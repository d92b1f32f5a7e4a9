"""Sentence splitting that loses nothing: every character of the raw text is in a
sentence or in the whitespace separating two sentences.

Rules: a line break always ends a sentence; 。！？!? and …… end one, together
with any run of further terminators and any closing quotes or brackets right
after them (so ``……。”`` stays with its sentence). Whitespace at a sentence's
edges belongs to the separators, so a sentence never starts or ends with it.
``doc_start`` is the sentence's offset in the raw text, and
``raw[doc_start : doc_start + len(text)] == text`` for every sentence.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from zhner.annotate.gold import Record

TERMINATORS = "。！？!?…"
CLOSERS = "”’」』）》】)\"'"
_SENTENCE = re.compile(rf"[^\n{TERMINATORS}]*(?:[{TERMINATORS}]+[{re.escape(CLOSERS)}]*|(?=\n)|$)")


def sentence_offsets(text: str) -> Iterator[tuple[int, int]]:
    """``(start, end)`` of each sentence in ``text``, whitespace stripped from both edges.

    >>> t = "浙江新增4个。“好！”他说\\n  第二行"
    >>> [t[a:b] for a, b in sentence_offsets(t)]
    ['浙江新增4个。', '“好！”', '他说', '第二行']
    """
    for m in _SENTENCE.finditer(text):
        start, end = m.start(), m.end()
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if end > start:
            yield start, end


def split_text(text: str, doc_id: str = "doc") -> list[Record]:
    """Annotation skeleton of a raw text: one record per sentence, ids ``{doc_id}-{n:03d}``."""
    return [
        Record(f"{doc_id}-{i:03d}", text[a:b], [], {"doc_start": a})
        for i, (a, b) in enumerate(sentence_offsets(text), 1)
    ]


def read_raw(path: str | Path) -> str:
    """A raw UTF-8 text file, exactly as stored (no newline translation)."""
    with open(path, encoding="utf-8", newline="") as fh:
        return fh.read()


def document_problems(raw: str, records: list[Record]) -> list[str]:
    """Why ``records`` do not map back onto ``raw``; empty when they do.

    They map back when they are in document order, each ``text`` equals
    ``raw[doc_start : doc_start + len(text)]``, and everything between two
    sentences (and before the first, after the last) is whitespace: then the
    document is exactly its sentences joined by those separators.
    """
    problems: list[str] = []
    pos = 0
    for rec in records:
        start = rec.meta.get("doc_start")
        if not isinstance(start, int):
            problems.append(f"{rec.id}: no integer doc_start")
            continue
        if start < pos:
            problems.append(f"{rec.id}: doc_start {start} is before the end of the previous sentence ({pos})")
        elif raw[pos:start].strip():
            problems.append(f"{rec.id}: text between {pos} and {start} is in no sentence: {raw[pos:start]!r}")
        if raw[start : start + len(rec.text)] != rec.text:
            problems.append(f"{rec.id}: text differs from the raw document at doc_start {start}")
        pos = max(pos, start + len(rec.text))
    if raw[pos:].strip():
        problems.append(f"text after offset {pos} is in no sentence: {raw[pos:][:40]!r}")
    return problems
