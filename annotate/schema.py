"""The label schema and the span type: defined here once, imported everywhere else.

The contract is ``../shared/annotation-spec.md`` (explained for annotators in
``annotate/GUIDELINES.md``): four labels, flat non-overlapping character spans
with an exclusive end, offsets taken on the text exactly as stored.

Tagging schemes (BIO, BIOES) are declared as tables of allowed tag
transitions, in the manner of seqeval's ``scheme.py``; the same tables drive
conversion, validation of tag sequences and the CRF's decoding constraints.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

LABELS: tuple[str, ...] = ("ORG", "LOC", "METRIC", "HONOR")

LABEL_HELP: dict[str, str] = {
    "ORG": "named organisations: companies and short names, government bodies, institutes, media",
    "LOC": "named places: countries, provinces, cities, districts, zones, named regions and facilities",
    "METRIC": "a stated quantity: number with unit or %, with attached bound words; ranks",
    "HONOR": "a title, award, designation or list membership conferred by an authority",
}


@dataclass(frozen=True, order=True)
class Span:
    """One entity mention: ``text[start:end]`` carries ``label``.

    ``start`` and ``end`` are character offsets (Python string indices, code
    points) into the text as stored; ``end`` is exclusive.

    >>> s = Span(2, 4, "LOC")
    >>> "日前浙江新增".__getitem__(slice(s.start, s.end))
    '浙江'
    >>> Span.from_list([2, 4, "LOC"]) == s
    True
    """

    start: int
    end: int
    label: str

    def __repr__(self) -> str:
        return f"Span({self.start}, {self.end}, {self.label!r})"

    def __len__(self) -> int:
        return self.end - self.start

    def text_in(self, text: str) -> str:
        """The mention's surface string in ``text``."""
        return text[self.start : self.end]

    def overlaps(self, other: Span) -> bool:
        return self.start < other.end and other.start < self.end

    def to_list(self) -> list[int | str]:
        """The gold-file form ``[start, end, label]``."""
        return [self.start, self.end, self.label]

    @classmethod
    def from_list(cls, item: Sequence[int | str]) -> Span:
        start, end, label = item
        return cls(int(start), int(end), str(label))

    def to_dict(self) -> dict[str, int | str]:
        return {"start": self.start, "end": self.end, "label": self.label}

    @classmethod
    def from_dict(cls, item: dict) -> Span:
        return cls(int(item["start"]), int(item["end"]), str(item["label"]))

    def shifted(self, offset: int) -> Span:
        return Span(self.start + offset, self.end + offset, self.label)


def merge(first: Iterable[Span], second: Iterable[Span]) -> list[Span]:
    """``first``'s spans, plus those of ``second`` that overlap none of them; sorted.

    >>> merge([Span(0, 2, "LOC")], [Span(1, 3, "ORG"), Span(4, 6, "ORG")])
    [Span(0, 2, 'LOC'), Span(4, 6, 'ORG')]
    """
    first = list(first)
    return sorted([*first, *(s for s in second if not any(s.overlaps(f) for f in first))])


def merge_by_mode(
    model: Sequence[Span],
    other: Sequence[Span],
    mode: str,
    modes: Sequence[str],
    what: str,
    keep: Callable[[Span], bool] | None = None,
) -> list[Span]:
    """A model's spans and another source's (a lexicon, rules) merged by ``mode``, one of ``modes``; sorted.

    ``none``: the model alone; ``fill``: ``other``'s spans added where they overlap no model span; any
    other mode: ``other``'s spans win, and the model's (those ``keep`` accepts, all by default) are kept
    where they overlap none. A mode not in ``modes`` is a ValueError naming ``what``.

    >>> merge_by_mode([Span(0, 2, "LOC")], [Span(1, 3, "ORG")], "first", ("none", "fill", "first"), "lexicon")
    [Span(1, 3, 'ORG')]
    """
    if mode not in modes:
        raise ValueError(f"unknown {what} mode {mode!r}; choose one of: {', '.join(modes)}")
    if mode == "none":
        return sorted(model)
    if mode == "fill":
        return merge(model, other)
    return merge(other, model if keep is None else [s for s in model if keep(s)])


def span_problems(text: str, spans: Iterable[Span], labels: Sequence[str] = LABELS) -> list[str]:
    """Every way ``spans`` break the spec on ``text``, as sentences; empty if none.

    >>> for p in span_problems("浙江 新增", [Span(0, 3, "LOC"), Span(3, 5, "PER")]):
    ...     print(p)
    entity [0, 3, 'LOC'] ends with whitespace ('浙江 ')
    entity [3, 5, 'PER'] has unknown label 'PER'; allowed: ORG, LOC, METRIC, HONOR
    """
    problems: list[str] = []
    ordered = sorted(spans)
    for span in ordered:
        where = f"entity {span.to_list()}"
        if span.label not in labels:
            problems.append(f"{where} has unknown label {span.label!r}; allowed: {', '.join(labels)}")
        if not 0 <= span.start < span.end <= len(text):
            problems.append(f"{where} is outside the text (need 0 <= start < end <= {len(text)}, the text's length)")
            continue
        surface = span.text_in(text)
        if surface[0].isspace():
            problems.append(f"{where} starts with whitespace ({surface!r})")
        if surface[-1].isspace():
            problems.append(f"{where} ends with whitespace ({surface!r})")
    in_range = [s for s in ordered if 0 <= s.start < s.end <= len(text)]
    for a, b in itertools.pairwise(in_range):
        if a.overlaps(b):
            problems.append(
                f"entity {b.to_list()} overlaps entity {a.to_list()} "
                f"({b.text_in(text)!r} and {a.text_in(text)!r}); spans must be flat"
            )
    return problems


# --- tagging schemes -------------------------------------------------------------------------


@dataclass(frozen=True)
class Scheme:
    """A tagging scheme declared by its prefixes.

    ``starts`` open an entity, ``continues`` extend the entity of the same
    label opened just before, ``ends`` close it (empty in BIO, where any tag
    closes the open entity), ``single`` tags a one-character entity (S in BIOES).
    Which tag may follow which is derived from these sets in :meth:`allowed`.
    """

    name: str
    starts: frozenset[str]
    continues: frozenset[str]
    ends: frozenset[str]
    single: str | None

    @property
    def open_prefixes(self) -> frozenset[str]:
        """Prefixes after which an entity is still open."""
        return (self.starts | self.continues) - self.ends

    def tags(self, labels: Sequence[str] = LABELS) -> list[str]:
        """All tags: ``O`` first, then each label's tags in B, I, E, S order."""
        prefixes = sorted(self.starts | self.continues | self.ends, key="BIES".index)
        return ["O"] + [f"{p}-{label}" for label in labels for p in prefixes]

    def allowed(self, prev: str, cur: str) -> bool:
        """May tag ``cur`` follow tag ``prev``? (``prev`` is ``O`` at the sentence start.)"""
        p_pre, p_lab = split_tag(prev)
        c_pre, c_lab = split_tag(cur)
        prev_open = p_pre in self.open_prefixes
        if c_pre in self.continues:
            return prev_open and p_lab == c_lab
        return not (prev_open and self.ends)  # with explicit ends, an open entity must be closed first

    def allowed_end(self, tag: str) -> bool:
        """May the sentence end on ``tag``?"""
        return not (split_tag(tag)[0] in self.open_prefixes and self.ends)


def split_tag(tag: str) -> tuple[str, str | None]:
    """``"B-ORG"`` → ``("B", "ORG")``; ``"O"`` → ``("O", None)``."""
    if tag == "O":
        return "O", None
    prefix, sep, label = tag.partition("-")
    if not sep or not label or len(prefix) != 1:
        raise ValueError(f"malformed tag {tag!r}: expected 'O' or PREFIX-LABEL such as 'B-ORG'")
    return prefix, label


BIO = Scheme(
    name="bio",
    starts=frozenset("B"),
    continues=frozenset("I"),
    ends=frozenset(),  # in BIO any tag closes the open entity
    single=None,
)
BIOES = Scheme(
    name="bioes",
    starts=frozenset("BS"),
    continues=frozenset("IE"),
    ends=frozenset("ES"),
    single="S",
)
SCHEMES: dict[str, Scheme] = {"bio": BIO, "bioes": BIOES}


def spans_to_tags(length: int, spans: Iterable[Span], scheme: Scheme = BIO) -> list[str]:
    """Character tags for a text of ``length`` characters.

    >>> spans_to_tags(5, [Span(0, 2, "LOC"), Span(3, 4, "METRIC")], BIOES)
    ['B-LOC', 'E-LOC', 'O', 'S-METRIC', 'O']
    """
    tags = ["O"] * length
    for span in spans:
        n = span.end - span.start
        if scheme.single and n == 1:
            tags[span.start] = f"{scheme.single}-{span.label}"
            continue
        tags[span.start] = f"B-{span.label}"
        for i in range(span.start + 1, span.end):
            tags[i] = f"I-{span.label}"
        if "E" in scheme.ends:
            tags[span.end - 1] = f"E-{span.label}"
    return tags


class TagSequenceError(ValueError):
    """A tag sequence that the scheme does not allow; ``position`` is the offending index."""

    def __init__(self, position: int, message: str) -> None:
        super().__init__(message)
        self.position = position


def tags_to_spans(tags: Sequence[str], scheme: Scheme = BIO, *, strict: bool = True) -> list[Span]:
    """Spans from character tags.

    With ``strict`` (for gold files), a transition the scheme forbids raises
    :class:`TagSequenceError` naming the position. Without it (for model
    output), an entity counts only if it opens and closes as the scheme
    requires, as seqeval's strict mode counts it; stray tags are ignored.

    >>> tags_to_spans(["B-LOC", "I-LOC", "O", "B-ORG"])
    [Span(0, 2, 'LOC'), Span(3, 4, 'ORG')]
    >>> tags_to_spans(["I-LOC", "B-ORG", "I-LOC"], strict=False)
    [Span(1, 2, 'ORG')]
    """
    spans: list[Span] = []
    start: int | None = None
    label: str | None = None
    prev = "O"
    for i, tag in enumerate(tags):
        pre, lab = split_tag(tag)
        if strict and not scheme.allowed(prev, tag):
            raise TagSequenceError(i, f"tag {tag!r} at position {i} cannot follow {prev!r} ({scheme.name})")
        if start is not None and not (pre in scheme.continues and lab == label):
            if not scheme.ends:  # BIO: the open entity simply stops here
                spans.append(Span(start, i, label or ""))
            start = None  # BIOES: an entity never closed by E is not an entity
        if pre in scheme.starts:
            start, label = i, lab
        if start is not None and pre in scheme.ends:
            spans.append(Span(start, i + 1, label or ""))
            start = None
        prev = tag
    if start is not None:
        if not scheme.ends:
            spans.append(Span(start, len(tags), label or ""))
        elif strict:
            raise TagSequenceError(len(tags), f"the tags end inside an entity ({prev!r}) ({scheme.name})")
    return spans
