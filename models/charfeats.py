"""Knowledge from Chinese text tools as one extra input per character (``model.char_features``).

Each source labels every character of a text with a small integer: where it sits in a word of a
segmenter or tagger (begin, middle, end, single) and what kind of word that is. The chosen sources
are combined into one id per character (mixed radix: the product of their sizes) and fed to the
encoder as its *token type*: the token-type embedding table grows to that many rows, each
initialised to the checkpoint's own type-0 row, so a fresh model computes exactly what it computed
without features and fine-tuning learns what each kind of word is worth. Specials and continuation
pieces get type 0.

- ``jieba``: jieba 0.42.1's words (its shipped dictionary, no HMM guesses, as :mod:`models.words`),
  the position in the word × the word's dictionary tag class (ns place, nt organisation, nz other
  proper name, nr person, other n noun, anything else): 4 × 6 ids.
- ``names``: the name lists of companynameparser 0.1.8 (Apache-2.0): 6,166 Chinese places, 284,836
  company trade names (the 美的 of 美的集团) and 162 organisation suffixes (分公司, 研究院); for each list,
  the character's position in the longest listed word that covers it (forward maximum matching, words
  of 2+ characters), or none: 5 × 5 × 5 ids.
- ``lac``: Baidu LAC 2.1.2's own per-character labels (``ORG-B``, ``ns-I``, ... 49 of them), from
  its network re-implemented in torch (:mod:`models.lacnet`, weights in ``models/bundled/lac``).

The list of sources is saved in ``zhner.json``; a model trained with features computes them again
at prediction time. ``docs/char-features.md`` has the measurements.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

Ids = list[list[int]]  # per text, one id per character


@dataclass(frozen=True)
class Source:
    """One knowledge source: ``size`` character ids (1 to ``size``; 0 is left for specials) and the labeller."""

    name: str
    size: int
    label: Callable[..., Ids]  # (texts) -> ids; the lac source also takes lac_tags=


POSITIONS = 4  # begin, middle, end, single
JIEBA_CLASSES = ("ns", "nt", "nz", "nr", "n")  # dictionary tag classes (by prefix, first match); other = last


@functools.cache
def _jieba_tags() -> dict[str, int]:
    """Word → tag class index of jieba's shipped dictionary."""
    import jieba

    classes: dict[str, int] = {}
    other = len(JIEBA_CLASSES)
    with open(Path(jieba.__file__).parent / "dict.txt", encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3:
                tag = parts[2]
                classes[parts[0]] = next((k for k, c in enumerate(JIEBA_CLASSES) if tag.startswith(c)), other)
    return classes


def _position(k: int, n: int) -> int:
    return 3 if n == 1 else 0 if k == 0 else 2 if k == n - 1 else 1


def jieba_ids(texts: Sequence[str]) -> Ids:
    """Per character: 1 + word position + 4 × the word's tag class.

    >>> jieba_ids(["通用汽车宣布"])
    [[5, 6, 6, 7, 21, 23]]
    """
    from zhner.models.words import _tokenizer

    tags, other, tok = _jieba_tags(), len(JIEBA_CLASSES), _tokenizer()
    out = []
    for text in texts:
        ids: list[int] = []
        for word in tok.cut(text, HMM=False):
            cls = tags.get(word, other)
            ids.extend(1 + _position(k, len(word)) + POSITIONS * cls for k in range(len(word)))
        out.append(ids)
    return out


NAME_LISTS = ("china_place.txt", "brand.txt", "suffix.txt")  # companynameparser/data, in this order
COMPANYNAMEPARSER = "companynameparser==0.1.8"


@functools.cache
def _name_lists() -> tuple[tuple[frozenset[str], int], ...]:
    """(words of 2+ characters, longest length) of each list of :data:`NAME_LISTS`."""
    try:
        import companynameparser
    except ImportError as e:
        raise ImportError(f"char feature 'names' needs companynameparser: pip install {COMPANYNAMEPARSER}") from e
    folder = Path(companynameparser.__file__).parent / "data"
    out = []
    for name in NAME_LISTS:
        with open(folder / name, encoding="utf-8") as f:
            words = frozenset(w for w in (line.strip() for line in f) if len(w) >= 2)
        out.append((words, max(map(len, words))))
    return tuple(out)


def _longest_matches(text: str, words: frozenset[str], longest: int) -> list[int]:
    """Per character: 1 + its position in the forward-maximum-matched listed word covering it, or 0."""
    out, i = [0] * len(text), 0
    while i < len(text):
        n = next((n for n in range(min(longest, len(text) - i), 1, -1) if text[i : i + n] in words), 0)
        for k in range(n):
            out[i + k] = 1 + _position(k, n)
        i += n or 1
    return out


def names_ids(texts: Sequence[str]) -> Ids:
    """Per character: 1 + place position + 5 × trade-name position + 25 × suffix position (0 = none).

    >>> names_ids(["杭州分公司"])  # 杭州: place begin, end; 分公司: suffix begin, middle, end
    [[2, 4, 26, 51, 76]]
    """
    lists = _name_lists()
    out = []
    for text in texts:
        ids = [1] * len(text)
        radix = 1
        for words, longest in lists:
            for c, v in enumerate(_longest_matches(text, words, longest)):
                ids[c] += v * radix
            radix *= POSITIONS + 1
        out.append(ids)
    return out


def lac_ids(texts: Sequence[str], lac_tags: Sequence[Sequence[str]] | None = None) -> Ids:
    """Per character: 1 + the index of LAC's own label in :func:`lac_label_names` (``lac_tags``: LAC's
    ``char_tags`` of ``texts`` when the caller has them already)."""
    from zhner.models.lacnet import default_lac

    index = _lac_index()
    tags = lac_tags if lac_tags is not None else default_lac().char_tags(list(texts))
    return [[1 + index[t] for t in row] for row in tags]


@functools.cache
def _lac_index() -> dict[str, int]:
    return {t: k for k, t in enumerate(lac_label_names())}


def lac_label_names() -> list[str]:
    """LAC's per-character labels, in the order of their ids here (the targets of ``training.aux_lac``)."""
    from zhner.models.lacnet import default_lac

    return list(default_lac().labels)


def lac_labels(texts: Sequence[str]) -> Ids:
    """Per character: the index (from 0) of LAC's own label in :func:`lac_label_names`."""
    return [[v - 1 for v in ids] for ids in lac_ids(texts)]


def _lac_size() -> int:
    return len(_lac_index())


SOURCES: dict[str, Callable[[], Source]] = {
    "jieba": lambda: Source("jieba", POSITIONS * (len(JIEBA_CLASSES) + 1), jieba_ids),
    "names": lambda: Source("names", (POSITIONS + 1) ** len(NAME_LISTS), names_ids),
    "lac": lambda: Source("lac", _lac_size(), lac_ids),
}


@dataclass(frozen=True)
class CharFeatures:
    """The chosen sources as one id per character; ``size`` is the token-type table's row count."""

    sources: tuple[Source, ...]

    @property
    def size(self) -> int:
        return 1 + math.prod(s.size for s in self.sources)

    @property
    def uses_lac(self) -> bool:
        return any(s.name == "lac" for s in self.sources)

    def __call__(self, texts: Sequence[str], lac_tags: Sequence[Sequence[str]] | None = None) -> Ids:
        """One combined id (1 to ``size - 1``) per character of each text (``lac_tags``: LAC's tags of
        ``texts``, when the caller needs them too and has tagged them once)."""
        out = [[0] * len(t) for t in texts]
        radix = 1
        for source in self.sources:
            ids_all = source.label(texts, lac_tags=lac_tags) if source.name == "lac" else source.label(texts)
            for row, ids in zip(out, ids_all):
                if len(ids) != len(row):
                    raise RuntimeError(f"char feature {source.name!r} gave {len(ids)} ids for {len(row)} characters")
                for c, v in enumerate(ids):
                    row[c] += (v - 1) * radix
            radix *= source.size
        return [[v + 1 for v in row] for row in out]


def char_features(names: Sequence[str]) -> CharFeatures | None:
    """The combined features of ``names`` (None for none); an unknown name lists the known ones."""
    unknown = [n for n in names if n not in SOURCES]
    if unknown:
        raise ValueError(f"unknown char feature {unknown[0]!r}; choose from: {', '.join(sorted(SOURCES))}")
    return CharFeatures(tuple(SOURCES[n]() for n in names)) if names else None
