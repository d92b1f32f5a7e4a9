"""Traditional Chinese input: converted to Simplified for the model, offsets kept on the original.

The model was trained on Simplified text. :class:`Converter` turns each
sentence of a text into Simplified with OpenCC's ``t2s`` conversion (the
official ``opencc`` package from PyPI, 1.4.2, Apache License 2.0: compiled
wheels, no network at run time) and returns an :class:`Aligned` text that
maps every converted character back to the characters of the original it
came from, so entities found in the converted text are reported with the
offsets and the ``text`` of the input.

- ``auto`` (default): a sentence is converted only when it holds a character
  that OpenCC changes on its own (a Traditional character); Simplified
  sentences reach the model untouched, even the few Simplified phrases that
  ``t2s`` would rewrite (一坏 → 一坯);
- ``always``: every sentence is converted;
- ``never``: the text reaches the model as given.

OpenCC's dictionaries map each phrase and each character to one of the same
length, so a converted sentence normally has the length of the original and
offsets carry over as they are. Where a conversion changes a sentence's
length, that sentence is converted one character at a time instead, and each
converted character points back to the character it came from.

Without OpenCC installed, ``auto`` behaves as ``never`` and ``always``
raises :class:`TraditionalError`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from zhner.annotate.schema import Span
from zhner.annotate.split import sentence_offsets

MODES = ("auto", "always", "never")
INSTALL = "pip install opencc==1.4.2"
Piece = tuple[int, int, str, list[tuple[int, int]] | None]  # a converted sentence: start, end, text, source


class TraditionalError(RuntimeError):
    """Traditional input asked for but not available; the message says how to get it."""


@dataclass(frozen=True)
class Aligned:
    """``text`` (what the model reads) and, for each of its characters, the original's ``(start, end)``.

    ``source`` is None when the two texts line up character for character.
    """

    original: str
    text: str
    source: tuple[tuple[int, int], ...] | None = None

    def back(self, span: Span) -> Span:
        """``span`` of :attr:`text` as a span of :attr:`original`."""
        if self.source is None:
            return span
        return Span(self.source[span.start][0], self.source[span.end - 1][1], span.label)


@lru_cache(maxsize=1)
def opencc_t2s() -> Callable[[str], str] | None:
    """OpenCC's Traditional → Simplified conversion, or None when the ``opencc`` package is not installed."""
    try:
        import opencc
    except ImportError:
        return None
    return opencc.OpenCC("t2s").convert


class Converter:
    """Text → :class:`Aligned`, by ``mode`` (one of :data:`MODES`); ``convert`` defaults to OpenCC's ``t2s``."""

    def __init__(self, mode: str = "auto", convert: Callable[[str], str] | None = None) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown traditional mode {mode!r}; choose one of: {', '.join(MODES)}")
        convert = convert or (opencc_t2s() if mode != "never" else None)
        if mode == "always" and convert is None:
            raise TraditionalError(f"traditional='always' needs OpenCC, which is not installed: {INSTALL}")
        self.mode = mode if convert is not None else "never"
        self.convert = convert
        self._changed: dict[str, bool] = {}

    def __call__(self, text: str) -> Aligned:
        if self.mode == "never":
            return Aligned(text, text)
        pieces: list[Piece] = []
        for a, b in sentence_offsets(text):
            if self.mode == "always" or self.is_traditional(text[a:b]):
                pieces.append((a, b, *self._sentence(text[a:b], a)))
        return _assemble(text, pieces)

    def is_traditional(self, sentence: str) -> bool:
        """Whether ``sentence`` holds a character that the conversion changes on its own."""
        return any(self._char_changes(c) for c in sentence if ord(c) >= 0x2E80)  # CJK radicals and up

    def _char_changes(self, char: str) -> bool:
        if char not in self._changed:
            self._changed[char] = self._char(char) != char
        return self._changed[char]

    def _sentence(self, sentence: str, start: int) -> tuple[str, list[tuple[int, int]] | None]:
        """The converted sentence and, where its length changed, the source of each converted character."""
        converted = self._convert(sentence)
        if converted is not None and len(converted) == len(sentence):
            return converted, None
        pieces = [self._char(c) for c in sentence]  # one character at a time
        if all(len(p) == 1 for p in pieces):
            return "".join(pieces), None
        return "".join(pieces), [(start + i, start + i + 1) for i, p in enumerate(pieces) for _ in p]

    def _char(self, char: str) -> str:
        """The conversion of one character; one that OpenCC cannot encode (a lone surrogate) stays as it is."""
        converted = self._convert(char)
        return char if converted is None else converted

    def _convert(self, text: str) -> str | None:
        """The conversion of ``text``, or None when OpenCC cannot encode it (it holds a lone surrogate)."""
        try:
            return self.convert(text)  # type: ignore[misc]
        except UnicodeEncodeError:
            return None


def _assemble(text: str, pieces: list[Piece]) -> Aligned:
    """The original with each converted sentence in its place, and the alignment where one is needed."""
    if all(source is None for *_, source in pieces):
        out, pos = [], 0
        for start, end, converted, _ in pieces:
            out += [text[pos:start], converted]
            pos = end
        return Aligned(text, "".join([*out, text[pos:]]))
    chars: list[str] = []
    source: list[tuple[int, int]] = []
    pos = 0
    for start, end, converted, piece_source in pieces:
        chars += [text[pos:start], converted]
        source += [(i, i + 1) for i in range(pos, start)]
        source += piece_source if piece_source is not None else [(i, i + 1) for i in range(start, end)]
        pos = end
    chars.append(text[pos:])
    source += [(i, i + 1) for i in range(pos, len(text))]
    return Aligned(text, "".join(chars), tuple(source))
