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

A user's dictionary (``zhner predict --lexicon names.tsv``) is a UTF-8 file
of ``name<TAB>label`` lines, read by :func:`read_user`; :func:`match_both`
finds the model's and the user's names in one longest-first pass.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path

from zhner.annotate.gold import Record
from zhner.annotate.schema import LABELS, Span, merge_by_mode

LEXICON_MODES = ("none", "fill", "first")
USER_MODES = ("fill", "first")


class LexiconError(ValueError):
    """A user's dictionary that cannot be read; the message is ``file:line: reason``."""


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
    return merge_by_mode(model_spans, lexicon_spans, mode, LEXICON_MODES, "lexicon")


def match_both(text: str, lexicon: dict[str, str], user: dict[str, str]) -> tuple[list[Span], list[Span]]:
    """(spans of ``lexicon``'s names, spans of ``user``'s names) in ``text``, from one longest-first pass.

    A name in both carries the user's label and counts as the user's.

    >>> match_both("浙江省经信厅表示浙江", {"浙江": "LOC"}, {"浙江省经信厅": "ORG"})
    ([Span(8, 10, 'LOC')], [Span(0, 6, 'ORG')])
    """
    found = match(text, {**lexicon, **user})
    mine = [s for s in found if s.text_in(text) in user]
    return [s for s in found if s.text_in(text) not in user], mine


def read_user(path: str | Path, labels: Sequence[str] = LABELS) -> dict[str, str]:
    """A user's dictionary: name → label, from ``name<TAB>label`` lines.

    Blank lines and lines starting with ``#`` are skipped; anything else that
    is not one name, a tab and a label of the schema raises
    :class:`LexiconError` as ``file:line: reason``.
    """
    try:
        raw = Path(path).read_bytes()
    except OSError as e:
        raise LexiconError(f"{path}: cannot read the dictionary ({e.strerror or e})") from e
    names: dict[str, str] = {}
    where: dict[str, int] = {}
    for n, line in enumerate(raw.removeprefix(b"\xef\xbb\xbf").splitlines(), 1):
        entry = _user_entry(line, labels, f"{path}:{n}")
        if entry is None:
            continue
        name, label = entry
        if names.get(name, label) != label:
            raise LexiconError(f"{path}:{n}: {name!r} is {label} here but {names[name]} on line {where[name]}")
        names[name], where[name] = label, n
    return names


def _user_entry(line: bytes, labels: Sequence[str], where: str) -> tuple[str, str] | None:
    """(name, label) of one dictionary line; None for a blank or comment line."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as e:
        raise LexiconError(f"{where}: invalid UTF-8 at byte offset {e.start}") from None
    if not text.strip() or text.lstrip().startswith("#"):
        return None
    if "\t" not in text:
        raise LexiconError(f"{where}: no tab; write name<TAB>label")
    fields = text.split("\t")
    if len(fields) > 2:
        raise LexiconError(f"{where}: {len(fields) - 1} tabs; write name<TAB>label")
    name, label = fields[0].strip(), fields[1].strip()
    if not name:
        raise LexiconError(f"{where}: empty name")
    if label not in labels:
        raise LexiconError(f"{where}: unknown label {label!r}; the labels are {', '.join(labels)}")
    return name, label
