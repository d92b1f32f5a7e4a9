"""Gold JSON Lines: reading, validating and writing, per the annotation spec.

One sentence an object: ``{"id", "text", "entities": [[start, end, label], ...]}``
plus optional fields (doc_start, source, split, annotator, note, fold, scores,
...). Optional fields are kept in :attr:`Record.meta` and written back
unchanged, so a read → write round trip loses nothing.

:func:`validate` yields every :class:`Problem` of a file and never raises or
prints; :func:`read_gold` refuses a file with problems by raising
:class:`GoldError`, which lists them as ``file:line: reason``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from zhner.annotate.schema import LABELS, Span, span_problems
from zhner.annotate.standoff import Corpus, corpus_folder, is_standoff, resolve


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a gold file, at a 1-based line (0: the file as a whole)."""

    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


class GoldError(ValueError):
    """A gold file that breaks the spec; ``problems`` lists every reason found."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        shown = "\n".join(str(p) for p in self.problems[:20])
        more = len(self.problems) - 20
        super().__init__(shown + (f"\n... and {more} more problems" if more > 0 else ""))


@dataclass
class Record:
    """One annotated sentence: its id, its text, its spans and any other fields."""

    id: str
    text: str
    entities: list[Span] = field(default_factory=list)
    meta: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        out: dict = {"id": self.id, "text": self.text}
        out["entities"] = [s.to_list() for s in sorted(self.entities)]
        out.update(self.meta)
        return out

    def mentions(self) -> list[tuple[str, str]]:
        """``(surface, label)`` for each span, in text order."""
        return [(s.text_in(self.text), s.label) for s in sorted(self.entities)]


def parse_record(obj: object, labels: Sequence[str] = LABELS) -> tuple[Record | None, list[str]]:
    """Check one decoded JSON value; return the record (if its shape allows one) and its problems."""
    if not isinstance(obj, dict):
        return None, [f"expected a JSON object, got {type(obj).__name__}"]
    problems: list[str] = []
    rid, text, raw = obj.get("id"), obj.get("text"), obj.get("entities")
    if "id" not in obj:
        problems.append("missing field 'id'")
    elif not isinstance(rid, str) or not rid:
        problems.append(f"field 'id' must be a non-empty string, got {rid!r}")
    if "text" not in obj:
        problems.append("missing field 'text'")
    elif not isinstance(text, str):
        problems.append(f"field 'text' must be a string, got {type(text).__name__}")
    if "entities" not in obj:
        problems.append("missing field 'entities' (use [] for a sentence with no entity)")
    elif not isinstance(raw, list):
        problems.append(f"field 'entities' must be a list of [start, end, label], got {type(raw).__name__}")
    if problems:
        return None, problems
    spans: list[Span] = []
    for item in raw:
        if (
            not isinstance(item, list)
            or len(item) != 3
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in item[:2])
            or not isinstance(item[2], str)
        ):
            problems.append(f"entity {json.dumps(item, ensure_ascii=False)} is not [start, end, label]")
            continue
        spans.append(Span.from_list(item))
    problems += span_problems(text, spans, labels)
    meta = {k: v for k, v in obj.items() if k not in ("id", "text", "entities")}
    return Record(rid, text, spans, meta), problems


def _lines(path: Path) -> Iterator[tuple[int, str | None, str | None]]:
    """``(line number, decoded line or None, decoding problem or None)`` for each non-blank line."""
    with open(path, "rb") as fh:
        for n, raw in enumerate(fh, 1):
            if n == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                yield n, None, f"invalid UTF-8 at byte offset {e.start} of the line"
                continue
            if line.strip():
                yield n, line, None


def iter_checked(
    path: str | Path, labels: Sequence[str] = LABELS, corpus: str | Path | Corpus | None = None
) -> Iterator[tuple[int, Record | None, list[Problem]]]:
    """Each non-blank line of ``path`` as ``(line, record or None, problems)``, duplicates checked.

    A standoff line (``sha256`` and no ``text``, :mod:`annotate.standoff`) is resolved against
    ``corpus`` (default ``$ZHNER_CORPUS``) first; the record then carries the text.
    """
    path = Path(path)
    folder = corpus_folder(corpus)
    no_corpus_said = False
    name = str(path)
    seen: dict[str, int] = {}
    any_line = False
    for n, line, bad in _lines(path):
        any_line = True
        if bad:
            yield n, None, [Problem(name, n, bad)]
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            yield n, None, [Problem(name, n, f"invalid JSON: {e.msg} (column {e.colno})")]
            continue
        if is_standoff(obj):
            if no_corpus_said:
                yield n, None, []  # said once for the file, on its first standoff line
                continue
            obj, reasons = resolve(obj, folder)
            if obj is None:
                no_corpus_said = folder is None or not folder.folder.is_dir()
                if no_corpus_said:
                    reasons = [reasons[0] + "; every standoff line of this file needs it"]
                yield n, None, [Problem(name, n, r) for r in reasons]
                continue
        record, reasons = parse_record(obj, labels)
        problems = [Problem(name, n, r) for r in reasons]
        if record is not None:
            if record.id in seen:
                problems.append(Problem(name, n, f"duplicate id {record.id!r} (first on line {seen[record.id]})"))
            else:
                seen[record.id] = n
        yield n, record, problems
    if not any_line:
        yield 0, None, [Problem(name, 0, "empty file: no sentences")]


def validate(
    paths: str | Path | Iterable[str | Path],
    labels: Sequence[str] = LABELS,
    corpus: str | Path | Corpus | None = None,
) -> Iterator[Problem]:
    """Every problem in the given gold files, in file and line order. Never raises on bad content."""
    if isinstance(paths, (str, Path)):
        paths = [paths]
    corpus = corpus_folder(corpus)
    for path in paths:
        if not Path(path).is_file():
            yield Problem(str(path), 0, "no such file")
            continue
        for _, _, problems in iter_checked(path, labels, corpus):
            yield from problems


def read_gold(
    path: str | Path, labels: Sequence[str] = LABELS, corpus: str | Path | Corpus | None = None
) -> list[Record]:
    """All records of a gold file; raises :class:`GoldError` listing every problem if there is any."""
    if not Path(path).is_file():
        raise GoldError([Problem(str(path), 0, "no such file")])
    records: list[Record] = []
    problems: list[Problem] = []
    for _, record, found in iter_checked(path, labels, corpus):
        problems += found
        if record is not None:
            records.append(record)
    if problems:
        raise GoldError(problems)
    return records


def read_many(
    paths: Iterable[str | Path], labels: Sequence[str] = LABELS, corpus: str | Path | Corpus | None = None
) -> list[Record]:
    """Records of several gold files, in order; ids must be unique across them."""
    corpus = corpus_folder(corpus)
    records: list[Record] = []
    first: dict[str, str] = {}
    problems: list[Problem] = []
    for path in paths:
        for rec in read_gold(path, labels, corpus):
            if rec.id in first:
                problems.append(Problem(str(path), 0, f"id {rec.id!r} also appears in {first[rec.id]}"))
            first.setdefault(rec.id, str(path))
            records.append(rec)
    if problems:
        raise GoldError(problems)
    return records


def dumps(record: Record) -> str:
    return json.dumps(record.to_json(), ensure_ascii=False)


def write_gold(path: str | Path, records: Iterable[Record]) -> int:
    """Write records as gold JSONL (UTF-8, one object a line); returns how many were written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        for record in records:
            fh.write(dumps(record) + "\n")
            n += 1
    return n
