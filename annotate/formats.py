"""Conversion between gold JSONL and other annotation formats, losslessly.

``FORMATS`` maps each name to its (reader, writer) pair; the CLI's help and
its error for an unknown name are built from this table.

- ``gold``: the project's JSON Lines (annotation-spec.md).
- ``bio`` / ``bioes``: character-level CoNLL, one ``char<TAB>tag`` a line, a
  blank line between sentences. Each sentence opens with a ``# zhner = {...}``
  comment holding its id and optional fields, so nothing is lost. A character
  that cannot stand on a line of its own (line breaks, tabs, other
  non-printable characters) is written as ``U+XXXX``; a one-character field is
  always the character itself, so this is unambiguous.
- ``label-studio``: a JSON list of tasks; spans are ``labels`` results with
  character offsets. Reading takes a task's single annotation (or, if it has
  none, its single prediction); a task with several is refused. Every result's
  ``text`` must equal the text at its offsets (Label Studio versions that
  count UTF-16 units break this after an emoji: such a file is refused, not
  silently shifted).
- ``doccano``: doccano's sequence-labelling JSONL, ``{"text", "label": [[s, e, L]]}``.

Outside the table, :func:`read_char_tags` reads the plain char/tag files of
public corpora (``char TAG``, space-separated, no header) leniently, for
transfer training and the pretraining corpus.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from zhner.annotate.gold import GoldError, Problem, Record, parse_record, read_gold, write_gold
from zhner.annotate.schema import BIO, BIOES, Scheme, Span, TagSequenceError, spans_to_tags, tags_to_spans

Reader = Callable[[Path], list[Record]]
Writer = Callable[[Path, list[Record]], None]


# --- CoNLL-style character tags -------------------------------------------------------------

_META = "# zhner = "


def _escape(ch: str) -> str:
    return ch if ch.isprintable() else f"U+{ord(ch):04X}"


def _unescape(field: str) -> str:
    if len(field) == 1:
        return field
    if field.startswith("U+"):
        return chr(int(field[2:], 16))
    raise ValueError(f"expected one character or U+XXXX, got {field!r}")


def conll_block(rec: Record, scheme: Scheme = BIO) -> str:
    """One sentence in CoNLL form: the header line, one ``char<TAB>tag`` line a character, a blank line."""
    head = {"id": rec.id, **rec.meta}
    lines = [_META + json.dumps(head, ensure_ascii=False)]
    tags = spans_to_tags(len(rec.text), rec.entities, scheme)
    lines += [f"{_escape(ch)}\t{tag}" for ch, tag in zip(rec.text, tags)]
    return "\n".join(lines) + "\n\n"


def _write_tags(scheme: Scheme) -> Writer:
    def write(path: Path, records: list[Record]) -> None:
        with open(path, "w", encoding="utf-8", newline="\n") as fh:
            for rec in records:
                fh.write(conll_block(rec, scheme))

    return write


def _read_tags(scheme: Scheme) -> Reader:
    def read(path: Path) -> list[Record]:
        name = str(path)
        with open(path, encoding="utf-8", newline="") as fh:
            lines = fh.read().split("\n")
        records: list[Record] = []
        problems: list[Problem] = []
        block: list[tuple[int, str, str]] = []
        head: dict = {}
        head_line = 0

        def flush() -> None:
            nonlocal block, head
            if not block and not head:
                return
            text = "".join(ch for _, ch, _ in block)
            tags = [tag for _, _, tag in block]
            try:
                spans = tags_to_spans(tags, scheme, strict=True)
            except (TagSequenceError, ValueError) as e:
                pos = getattr(e, "position", 0)
                line = block[min(pos, len(block) - 1)][0] if block else head_line
                problems.append(Problem(name, line, str(e)))
                spans = []
            rid = head.pop("id", None) or f"{path.stem}-{len(records) + 1:03d}"
            obj = {"id": rid, "text": text, "entities": [s.to_list() for s in spans], **head}
            record, reasons = parse_record(obj)
            problems.extend(Problem(name, head_line or (block[0][0] if block else 0), r) for r in reasons)
            if record is not None:
                records.append(record)
            block, head = [], {}

        for n, line in enumerate(lines, 1):
            line = line.removesuffix("\r") if "\t" in line else line
            if line.startswith(_META):
                flush()
                head_line = n
                try:
                    head = json.loads(line[len(_META) :])
                except json.JSONDecodeError as e:
                    problems.append(Problem(name, n, f"invalid sentence header: {e.msg}"))
                    head = {}
                continue
            if line == "":
                flush()
                continue
            field, tab, tag = line.rpartition("\t")
            if not tab:
                problems.append(Problem(name, n, f"expected 'char<TAB>tag', got {line!r}"))
                continue
            try:
                block.append((n, _unescape(field), tag))
            except ValueError as e:
                problems.append(Problem(name, n, str(e)))
        flush()
        if problems:
            raise GoldError(problems)
        return records

    return read


def read_char_tags(path: str | Path, *, sep: str = " ") -> Iterator[tuple[str, list[str]]]:
    """(text, tags) of each sentence of a plain char/tag file: one ``char<sep>TAG`` a line, a blank line
    (or one of white space only) between sentences, no header and no escapes (a public corpus).

    Read leniently, nothing is refused: the tag is the last field, an empty character field (the line
    ``" O"``) is a space, and a tag that is neither ``O`` nor ``X-LABEL`` reads as ``O``.
    """
    chars: list[str] = []
    tags: list[str] = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.rstrip("\n")
            if not line.strip():
                if chars:
                    yield "".join(chars), tags
                chars, tags = [], []
                continue
            ch, _, tag = line.rpartition(sep)
            chars.append(ch or " ")
            tags.append(tag if tag == "O" or "-" in tag else "O")
    if chars:
        yield "".join(chars), tags


# --- Label Studio ---------------------------------------------------------------------------


def label_studio_task(rec: Record, *, as_predictions: bool = False) -> dict:
    """One Label Studio task; with ``as_predictions`` the spans are pre-annotations to correct."""
    results = [
        {
            "id": f"{rec.id}-{i}",
            "from_name": "label",
            "to_name": "text",
            "type": "labels",
            "value": {"start": s.start, "end": s.end, "text": s.text_in(rec.text), "labels": [s.label]},
        }
        for i, s in enumerate(sorted(rec.entities))
    ]
    key = "predictions" if as_predictions else "annotations"
    return {"data": {"text": rec.text, "id": rec.id, "meta": rec.meta}, key: [{"result": results}]}


def _write_label_studio(path: Path, records: list[Record]) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        json.dump([label_studio_task(r) for r in records], fh, ensure_ascii=False, indent=1)


def _read_label_studio(path: Path) -> list[Record]:
    name = str(path)
    try:
        with open(path, encoding="utf-8") as fh:
            tasks = json.load(fh)
    except json.JSONDecodeError as e:
        raise GoldError([Problem(name, e.lineno, f"invalid JSON: {e.msg}")]) from None
    if not isinstance(tasks, list):
        raise GoldError([Problem(name, 0, "expected a JSON list of Label Studio tasks")])
    records: list[Record] = []
    problems: list[Problem] = []
    for i, task in enumerate(tasks, 1):
        where = f"task {i}"
        data = task.get("data", {}) if isinstance(task, dict) else {}
        text = data.get("text")
        if not isinstance(text, str):
            problems.append(Problem(name, 0, f"{where}: no data.text"))
            continue
        done = [a for a in task.get("annotations", []) if not a.get("was_cancelled")]
        sources = done or task.get("predictions", [])
        if len(sources) > 1:
            kind = "annotations" if done else "predictions"
            problems.append(Problem(name, 0, f"{where}: {len(sources)} {kind}; keep one per task before importing"))
            continue
        spans: list[Span] = []
        for result in sources[0].get("result", []) if sources else []:
            value = result.get("value", {})
            labels = value.get("labels") or []
            if result.get("type") != "labels" or len(labels) != 1:
                problems.append(Problem(name, 0, f"{where}: result {result.get('id')!r} is not one text label"))
                continue
            span = Span(int(value["start"]), int(value["end"]), labels[0])
            if "text" in value and span.text_in(text) != value["text"]:
                problems.append(
                    Problem(
                        name,
                        0,
                        f"{where}: result {result.get('id')!r} says {value['text']!r} but offsets "
                        f"[{span.start}, {span.end}) hold {span.text_in(text)!r} (UTF-16 offsets?)",
                    )
                )
                continue
            spans.append(span)
        meta = data.get("meta") if isinstance(data.get("meta"), dict) else {}
        rid = data.get("id") or task.get("id") or f"{path.stem}-{i:03d}"
        record, reasons = parse_record({"id": str(rid), "text": text, "entities": [s.to_list() for s in spans], **meta})
        problems.extend(Problem(name, 0, f"{where}: {r}") for r in reasons)
        if record is not None:
            records.append(record)
    if problems:
        raise GoldError(problems)
    return records


# --- doccano ---------------------------------------------------------------------------------


def _write_doccano(path: Path, records: list[Record]) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        for rec in records:
            obj = {
                "id": rec.id,
                "text": rec.text,
                "label": [s.to_list() for s in sorted(rec.entities)],
                **rec.meta,
            }
            fh.write(json.dumps(obj, ensure_ascii=False) + "\n")


def _read_doccano(path: Path) -> list[Record]:
    name = str(path)
    records: list[Record] = []
    problems: list[Problem] = []
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                problems.append(Problem(name, n, f"invalid JSON: {e.msg}"))
                continue
            if not isinstance(obj, dict):
                problems.append(Problem(name, n, "expected a JSON object"))
                continue
            labels = obj.pop("label", obj.pop("labels", []))
            obj.setdefault("id", f"{path.stem}-{n:03d}")
            obj["id"] = str(obj["id"])
            obj["entities"] = labels
            record, reasons = parse_record(obj)
            problems.extend(Problem(name, n, r) for r in reasons)
            if record is not None:
                records.append(record)
    if problems:
        raise GoldError(problems)
    return records


FORMATS: dict[str, tuple[Reader, Writer]] = {
    "gold": (read_gold, lambda path, records: write_gold(path, records) and None),
    "bio": (_read_tags(BIO), _write_tags(BIO)),
    "bioes": (_read_tags(BIOES), _write_tags(BIOES)),
    "label-studio": (_read_label_studio, _write_label_studio),
    "doccano": (_read_doccano, _write_doccano),
}


def _get(name: str) -> tuple[Reader, Writer]:
    if name not in FORMATS:
        raise ValueError(f"unknown format {name!r}; choose one of: {', '.join(sorted(FORMATS))}")
    return FORMATS[name]


def read(path: str | Path, fmt: str) -> list[Record]:
    return _get(fmt)[0](Path(path))


def write(path: str | Path, records: Iterable[Record], fmt: str) -> None:
    writer = _get(fmt)[1]
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    writer(Path(path), list(records))


def convert(src: str | Path, dst: str | Path, *, src_format: str = "gold", dst_format: str = "gold") -> int:
    """Read ``src`` in one format and write ``dst`` in another; returns the sentence count."""
    records = read(src, src_format)
    write(dst, records, dst_format)
    return len(records)
