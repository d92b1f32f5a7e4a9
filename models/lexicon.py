"""A lexicon of the mentions seen in training, matched longest first; usable with a model.

``build(records)`` keeps each surface with the label it most often had;
``match(text, lexicon)`` finds them left to right, longest first, never
overlapping. ``combine(model_spans, lexicon_spans, mode)``:

- ``none``: the model alone;
- ``fill``: lexicon spans are added where they overlap no model span;
- ``first``: lexicon spans win; model spans are kept where they overlap none.

Known names are found wherever they recur; the model is left the names it
has never seen. The lexicon is written into the model directory
(``lexicon.json``) from the training sentences of that model only.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

from annotate.gold import Record
from annotate.schema import LABELS, Span, merge

LEXICON_MODES = ("none", "fill", "first")


def build(records: Iterable[Record], labels: Sequence[str] = LABELS, min_length: int = 1) -> dict[str, str]:
    """Surface → its most frequent label, over the mentions of ``records`` with one of ``labels``."""
    seen: dict[str, Counter[str]] = defaultdict(Counter)
    for rec in records:
        for surface, label in rec.mentions():
            if label in labels and len(surface) >= min_length:
                seen[surface][label] += 1
    return {s: c.most_common(1)[0][0] for s, c in sorted(seen.items())}


def names(records: Iterable[Record]) -> dict[str, str]:
    """The lexicon a model carries: its training ORG/LOC/HONOR surfaces of 2+ characters."""
    return build(records, labels=("ORG", "LOC", "HONOR"), min_length=2)


def match(text: str, lexicon: dict[str, str]) -> list[Span]:
    """Lexicon entries in ``text``, left to right, longest first.

    >>> match("浙江省经信厅表示浙江", {"浙江": "LOC", "浙江省经信厅": "ORG"})
    [Span(0, 6, 'ORG'), Span(8, 10, 'LOC')]
    """
    lengths = sorted({len(s) for s in lexicon}, reverse=True)
    spans, i = [], 0
    while i < len(text):
        for n in lengths:
            if i + n <= len(text) and text[i : i + n] in lexicon:
                spans.append(Span(i, i + n, lexicon[text[i : i + n]]))
                i += n
                break
        else:
            i += 1
    return spans


def combine(model_spans: list[Span], lexicon_spans: list[Span], mode: str) -> list[Span]:
    """Model and lexicon spans merged by ``mode``; flat and sorted.

    >>> m = [Span(0, 2, "LOC"), Span(5, 8, "ORG")]
    >>> lx = [Span(0, 4, "ORG"), Span(10, 12, "LOC")]
    >>> combine(m, lx, "fill")
    [Span(0, 2, 'LOC'), Span(5, 8, 'ORG'), Span(10, 12, 'LOC')]
    >>> combine(m, lx, "first")
    [Span(0, 4, 'ORG'), Span(5, 8, 'ORG'), Span(10, 12, 'LOC')]
    """
    if mode not in LEXICON_MODES:
        raise ValueError(f"unknown lexicon mode {mode!r}; choose one of: {', '.join(LEXICON_MODES)}")
    if mode == "none":
        return sorted(model_spans)
    return merge(model_spans, lexicon_spans) if mode == "fill" else merge(lexicon_spans, model_spans)
