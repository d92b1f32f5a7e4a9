"""Standoff gold: annotation over corpus text that may not be copied into the repository.

A standoff line holds no text, only where the sentence lies in the corpus::

    {"id": "news-test-0001", "source": "finre-finance-news-sentences.txt", "line": 12,
     "sha256": "<SHA-256 of the line's UTF-8 text, no newline>", "start": 0, "end": 31,
     "entities": [[0, 4, "ORG"], ...]}

``line`` is 1-based; ``[start, end)`` is the sentence's character range in that
line; the entities are relative to the sentence, as in ordinary gold. A corpus
line is the file's text between two ``\\n`` (a trailing ``\\r`` dropped).

:func:`resolve` turns such an object into an ordinary gold object (the same
fields plus ``text``) or says why it cannot: no corpus folder, no such file or
line, a hash that no longer matches, a range outside the line. The gold
readers (:mod:`annotate.gold`) call it for every line that has ``sha256`` and
no ``text``, so every tool that reads gold reads standoff files too, given
the corpus folder (a ``--corpus`` option, ``data.corpus`` in a training
config, or the ``ZHNER_CORPUS`` environment variable).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

FIELDS = ("source", "line", "sha256", "start", "end")
ENV = "ZHNER_CORPUS"


def is_standoff(obj: object) -> bool:
    """A JSON object that points into a corpus instead of carrying its text."""
    return isinstance(obj, dict) and "text" not in obj and "sha256" in obj


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Corpus:
    """A folder of UTF-8 text files, one paragraph a line; files are read once, when first needed."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self._lines: dict[str, list[str] | str] = {}

    def lines(self, name: str) -> list[str]:
        """The lines of one file; raises ``LookupError`` with the reason when it cannot be read."""
        if name not in self._lines:
            path = self.folder / name
            if not name or Path(name).name != name:
                self._lines[name] = f"source {name!r} must be a file name inside the corpus folder"
            elif not path.is_file():
                self._lines[name] = f"corpus file {path} does not exist"
            else:
                try:
                    with open(path, encoding="utf-8", newline="") as fh:
                        self._lines[name] = [ln.removesuffix("\r") for ln in fh.read().split("\n")]
                except UnicodeDecodeError as e:
                    self._lines[name] = f"corpus file {path} is not UTF-8 (byte {e.start})"
        got = self._lines[name]
        if isinstance(got, str):
            raise LookupError(got)
        return got


def corpus_folder(corpus: str | Path | Corpus | None) -> Corpus | None:
    """The corpus to resolve against: the one given, else ``$ZHNER_CORPUS``, else none."""
    if isinstance(corpus, Corpus):
        return corpus
    folder = corpus or os.environ.get(ENV)
    return Corpus(folder) if folder else None


def resolve(obj: dict, corpus: Corpus | None) -> tuple[dict | None, list[str]]:
    """The gold object with ``text`` filled in from the corpus, or ``None`` and the reasons it cannot be."""
    missing = [k for k in FIELDS if k not in obj]
    if missing:
        return None, [f"standoff record without {', '.join(repr(k) for k in missing)}"]
    src, line, digest, start, end = (obj[k] for k in FIELDS)
    if not isinstance(src, str) or not isinstance(digest, str):
        return None, ["standoff 'source' and 'sha256' must be strings"]
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (line, start, end)):
        return None, ["standoff 'line', 'start' and 'end' must be integers"]
    if corpus is None:
        return None, [
            f"standoff record (no text) and no corpus folder given: pass --corpus DIR, set data.corpus "
            f"or ${ENV} (the folder holding {src})"
        ]
    if not corpus.folder.is_dir():
        return None, [f"corpus folder {corpus.folder} does not exist"]
    try:
        lines = corpus.lines(src)
    except LookupError as e:
        return None, [str(e)]
    if not 1 <= line <= len(lines):
        return None, [f"{src} has no line {line} (it has {len(lines)})"]
    text = lines[line - 1]
    if sha256(text) != digest:
        return None, [f"{src}:{line} no longer matches its sha256 (the corpus changed; re-anchor this sentence)"]
    if not 0 <= start < end <= len(text):
        return None, [f"sentence range [{start}, {end}) is outside {src}:{line} ({len(text)} characters)"]
    return {**obj, "text": text[start:end]}, []


def to_standoff(obj: dict) -> dict:
    """The standoff form of a resolved gold object: the same fields without ``text``."""
    return {k: v for k, v in obj.items() if k != "text"}
