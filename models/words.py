"""Word boundaries from a segmenter, used to catch name fragments (``model.word_edges``).

Most ORG/LOC errors of the network on published news are fragments: a span that starts or ends
inside a word (通用汽 of 通用汽车, 方正证券行 of 方正证券行业). :func:`boundaries` gives the
character offsets where jieba's words start and end (jieba 0.42.1 with the dictionary it ships, no HMM
guessing of new words: those guesses glue names to their neighbours, as 委共 or 区内).
:func:`word_edges` then treats each ORG or LOC span with an edge inside a word, by ``mode``:

- ``none``: nothing changes;
- ``snap``: the edge moves out to the word's edge, if that adds at most :data:`SNAP_LIMIT`
  characters on each side and the result overlaps no other span; otherwise the span is left as it is;
- ``drop``: the span is removed.

METRIC and HONOR spans are left alone: their rules (:mod:`models.rules`, :mod:`models.honor`) decide
those edges, and gold HONOR titles often end inside a word (百强 of 百强县, 企业 of 企业名单).
``docs/word-edges.md`` has the measurements.
"""

from __future__ import annotations

import bisect
import functools
import logging
from collections.abc import Mapping

from zhner.annotate.schema import Span

WORD_EDGE_MODES = ("none", "snap", "drop")
WORD_LABELS = ("ORG", "LOC")  # the labels whose edges are checked against words
SNAP_LIMIT = 1  # characters that snap may add at each edge (news dev: 1 beats 2 and no limit)
JIEBA = "jieba==0.42.1"


class SegmenterUnavailable(RuntimeError):
    """jieba is not installed; the message says how to install it."""


@functools.cache
def _tokenizer():
    """A jieba tokenizer of its own dictionary (a user's changes to jieba's global one do not reach it)."""
    try:
        import jieba
    except ImportError as e:
        raise SegmenterUnavailable(f"model.word_edges needs the jieba segmenter: pip install {JIEBA}") from e
    jieba.setLogLevel(logging.WARNING)  # no "Building prefix dict" lines on stderr
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    return tokenizer


def require_segmenter() -> None:
    """Load jieba now (its dictionary, about half a second), so that a missing jieba is an error before any text."""
    _tokenizer()


def boundaries(text: str) -> set[int]:
    """Character offsets where a word of ``text`` starts or ends, 0 and ``len(text)`` included.

    >>> sorted(boundaries("通用汽车宣布"))
    [0, 4, 6]
    """
    out, i = {0, len(text)}, 0
    for word in _tokenizer().cut(text, HMM=False):
        i += len(word)
        out.add(i)
    return out


def word_edges(text: str, spans: Mapping[Span, float], mode: str) -> dict[Span, float]:
    """``spans`` (span → score) with the ORG/LOC spans that cut a word snapped or dropped by ``mode``; sorted.

    A snapped span keeps its score. The text is segmented only when some ORG/LOC span needs it.

    >>> word_edges("通用汽车宣布", {Span(0, 3, "ORG"): 0.8}, "snap")
    {Span(0, 4, 'ORG'): 0.8}
    >>> word_edges("通用汽车宣布", {Span(0, 3, "ORG"): 0.8}, "drop")
    {}
    """
    if mode not in WORD_EDGE_MODES:
        raise ValueError(f"unknown word_edges mode {mode!r}; choose one of: {', '.join(WORD_EDGE_MODES)}")
    ordered = sorted(spans)
    if mode == "none" or not any(s.label in WORD_LABELS for s in ordered):
        return {s: spans[s] for s in ordered}
    bounds = sorted(boundaries(text))
    out: dict[Span, float] = {}
    for k, span in enumerate(ordered):
        if span.label not in WORD_LABELS or _fits(span, bounds):
            out[span] = spans[span]
        elif mode == "snap":
            others = [*out, *ordered[k + 1 :]]
            snapped = _snapped(span, bounds)
            kept = snapped if snapped is not None and not any(snapped.overlaps(o) for o in others) else span
            out[kept] = spans[span]
    return dict(sorted(out.items()))


def _fits(span: Span, bounds: list[int]) -> bool:
    """Whether both edges of ``span`` are word boundaries."""
    return _outward(span.start, bounds, -1) == span.start and _outward(span.end, bounds, 1) == span.end


def _snapped(span: Span, bounds: list[int]) -> Span | None:
    """``span`` with each edge moved out to its word's edge; None if an edge would move too far.

    >>> _snapped(Span(2, 3, "ORG"), [0, 4, 6])
    >>> _snapped(Span(0, 3, "ORG"), [0, 4, 6])
    Span(0, 4, 'ORG')
    """
    start, end = _outward(span.start, bounds, -1), _outward(span.end, bounds, 1)
    if span.start - start > SNAP_LIMIT or end - span.end > SNAP_LIMIT:
        return None
    return Span(start, end, span.label)


def _outward(offset: int, bounds: list[int], step: int) -> int:
    """The nearest of the sorted ``bounds`` at or before ``offset`` (``step`` -1) or at or after it (``step`` 1)."""
    if step < 0:
        return bounds[bisect.bisect_right(bounds, offset) - 1]
    return bounds[bisect.bisect_left(bounds, offset)]
