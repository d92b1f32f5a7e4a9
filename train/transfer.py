"""Labelled public corpora as extra training data for ORG and LOC (transfer).

``data.transfer`` in a config lists sources; each has a path (read at run time,
never copied into the repository), a format, a label map onto the project's
labels (types that do not map are dropped, not guessed), an optional sentence
limit, a sampling weight, and how to treat the labels the corpus does not annotate:

- ``partial: exclude`` (default): for that corpus' sentences the loss never
  sees the logits of the labels it does not annotate (their tags are masked
  out of the softmax), so its unlabelled numbers and titles are no evidence
  against METRIC or HONOR;
- ``partial: none``: its O is taken at face value (what hurt METRIC in the probes).

``weight`` is the chance of each of the source's sentences being drawn, relative to
a gold sentence (1.0): with any weight other than 1, every epoch draws its rows
with replacement in proportion to their weights, as many as the weights add up to
(``weight: 0.2`` on 5,000 corpus sentences puts about 1,000 of them, a different
draw each time, beside the gold in every epoch). All weights 1 (the default) keep
the plain shuffled epochs.

Formats: ``cluener`` (JSON lines, ``{"text", "label": {type: {mention: [[start, end_inclusive]]}}}``),
``bio`` (one ``char TAG`` a line, space-separated, blank line between sentences) and ``gold``
(the project's JSONL, e.g. silver data from ``zhner train silver``: a line's ``annotated`` field,
when present, narrows the labels it annotates).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from zhner.annotate.formats import read_char_tags
from zhner.annotate.gold import Record, read_gold
from zhner.annotate.schema import LABELS, Span, tags_to_spans

# mapping choices documented here and in the README; measured by `zhner evaluate cv`
CLUENER_MAP = {"company": "ORG", "government": "ORG", "organization": "ORG"}
BIO_MAP = {"ORG": "ORG", "LOC": "LOC"}
GOLD_MAP = {label: label for label in LABELS}


@dataclass
class TransferSource:
    path: str = ""
    format: str = "cluener"  # cluener, bio or gold
    labels: dict[str, str] = field(default_factory=dict)  # corpus type -> project label; empty: the format's default
    limit: int = 0  # at most this many sentences (0: all)
    weight: float = 1.0  # sampling weight of each sentence, relative to a gold sentence (see the module docstring)
    partial: str = "exclude"  # exclude or none (see the module docstring)

    def label_map(self) -> dict[str, str]:
        return self.labels or {"cluener": CLUENER_MAP, "gold": GOLD_MAP}.get(self.format, BIO_MAP)


def _flat(text: str, spans: list[Span]) -> tuple[list[Span], int]:
    """Drop spans that overlap an earlier one or have whitespace edges; returns (kept, dropped)."""
    kept: list[Span] = []
    for s in sorted(spans):
        surface = s.text_in(text)
        if (kept and s.start < kept[-1].end) or not surface or surface != surface.strip():
            continue
        kept.append(s)
    return kept, len(spans) - len(kept)


def read_cluener(path: Path, label_map: dict[str, str]) -> Iterator[tuple[str, list[Span], int]]:
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            obj = json.loads(line)
            text = obj["text"]
            spans = [
                Span(start, end + 1, label_map[kind])  # CLUENER ends are inclusive
                for kind, mentions in (obj.get("label") or {}).items()
                if kind in label_map
                for places in mentions.values()
                for start, end in places
            ]
            kept, dropped = _flat(text, spans)
            yield text, kept, dropped


def read_bio(path: Path, label_map: dict[str, str]) -> Iterator[tuple[str, list[Span], int]]:
    for text, tags in read_char_tags(path):  # lenient: a public corpus, not the project's own format
        spans = [
            Span(s.start, s.end, label_map[s.label]) for s in tags_to_spans(tags, strict=False) if s.label in label_map
        ]
        kept, dropped = _flat(text, spans)
        yield text, kept, dropped


def read_gold_format(path: Path, label_map: dict[str, str]) -> Iterator[tuple[str, list[Span], int, list[str] | None]]:
    for rec in read_gold(path):  # validated: a bad line is an error naming file and line
        spans = [Span(s.start, s.end, label_map[s.label]) for s in rec.entities if s.label in label_map]
        yield rec.text, spans, len(rec.entities) - len(spans), rec.meta.get("annotated")


READERS = {"cluener": read_cluener, "bio": read_bio, "gold": read_gold_format}


def load_source(source: TransferSource) -> list[Record]:
    """The sentences of one source as records; ``meta["annotated"]`` lists the labels it annotates
    and ``meta["weight"]``, when not 1, its sampling weight."""
    if source.format not in READERS:
        raise ValueError(f"transfer format {source.format!r}: choose one of {', '.join(sorted(READERS))}")
    if source.partial not in ("exclude", "none"):
        raise ValueError(f"transfer partial {source.partial!r}: choose exclude or none")
    if not source.weight > 0:
        raise ValueError(
            f"transfer weight {source.weight!r} of {source.path}: must be above 0 (drop the source instead)"
        )
    path = Path(source.path)
    if not path.is_file():
        raise ValueError(f"transfer source {source.path}: no such file (the public corpora are read in place)")
    label_map = source.label_map()
    bad = set(label_map.values()) - set(LABELS)
    if bad:
        raise ValueError(f"transfer labels map onto unknown labels {sorted(bad)}; allowed: {', '.join(LABELS)}")
    annotated = sorted(set(label_map.values())) if source.partial == "exclude" else list(LABELS)
    records = []
    for i, (text, spans, _dropped, *narrowed) in enumerate(READERS[source.format](path, label_map)):
        if source.limit and i >= source.limit:
            break
        if text.strip():
            mine = annotated
            if narrowed and narrowed[0] is not None and source.partial == "exclude":
                mine = sorted({label_map[x] for x in narrowed[0] if x in label_map})
            meta = {"source": f"transfer:{path.name}", "annotated": mine}
            if source.weight != 1:
                meta["weight"] = source.weight
            records.append(Record(f"{path.stem}-{i:06d}", text, spans, meta))
    return records


def tag_mask(tags: list[str], annotated: list[str] | None) -> list[int]:
    """1 for the tags a sentence's source annotates (O always), 0 for the others.

    >>> tag_mask(["O", "B-ORG", "I-ORG", "B-METRIC", "I-METRIC"], ["ORG"])
    [1, 1, 1, 0, 0]
    """
    if annotated is None:
        return [1] * len(tags)
    return [1 if t == "O" or t.split("-", 1)[1] in annotated else 0 for t in tags]
