"""zhner predict: run a trained model over new text.

INPUT may be .txt files (each file one document, id = its path), .jsonl files
with {"id", "text"} lines, or - (or nothing) for standard input, where each
non-empty line is one document (use --stdin-format jsonl for JSON lines).
Input is streamed: results are written as they are made, in input order, in
bounded memory. A JSONL line that is not valid JSON or has no "text" is
reported as file:line: reason and skipped; the exit status is then 1.

Output formats (--format):
  jsonl         the gold format plus "scores": `zhner annotate validate` and
                `zhner evaluate --predictions` take it as is (default)
  conll         one char<TAB>tag a line (BIO), as `zhner annotate convert --to bio`
  label-studio  tasks with the entities as pre-annotations, to correct in Label
                Studio and bring back with `zhner annotate convert --from label-studio`
  html          one self-contained page with entities highlighted by label

A dictionary of your own names (--lexicon names.tsv: UTF-8 lines of
name<TAB>label, # comments) is applied after the model's own lexicon:
--lexicon-mode fill adds a name where the model found nothing, first lets your
names win. Traditional Chinese is converted to Simplified for the model
(OpenCC) and the entities point into the original text (--traditional).

Examples:
  zhner predict --model runs/default news.txt
  zhner predict --model runs/default feed.jsonl -o feed.pred.jsonl
  echo "杭州海康威视营收增长12%" | zhner predict --model runs/default
  zhner predict --model runs/default news.txt --format html -o news.html
  zhner predict --model runs/default news.txt --lexicon names.tsv --lexicon-mode first
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from zhner.annotate.cliargs import user_error
from zhner.annotate.schema import LABELS
from zhner.inference.traditional import MODES as TRADITIONAL_MODES
from zhner.models.lexicon import USER_MODES
from zhner.models.modeldir import BATCH_SIZE

FORMATS = ("jsonl", "conll", "label-studio", "html")


@dataclass
class Doc:
    id: str
    text: str
    meta: dict


class Failures:
    """Counts and reports input problems as ``file:line: reason`` on stderr."""

    def __init__(self) -> None:
        self.count = 0

    def report(self, where: str, reason: str) -> None:
        self.count += 1
        print(f"{where}: {reason}", file=sys.stderr)


def read_inputs(inputs: Sequence[str], stdin_format: str, failures: Failures) -> Iterator[Doc]:
    """Documents from every input, lazily, in order."""
    for name in inputs or ["-"]:
        if name == "-":
            stream = _stdin_lines(failures)
            yield from (
                _jsonl_docs(stream, "<stdin>", failures) if stdin_format == "jsonl" else _line_docs(stream, failures)
            )
            continue
        path = Path(name)
        if not path.is_file():
            failures.report(name, "no such file")
            continue
        if path.suffix == ".jsonl":
            with open(path, "rb") as fh:
                yield from _jsonl_docs(_decoded(fh, name, failures), name, failures)
        else:
            try:
                text = path.read_bytes().decode("utf-8")
            except UnicodeDecodeError as e:
                failures.report(name, f"not valid UTF-8 (byte offset {e.start}); file skipped")
                continue
            yield Doc(name, text, {})


def _stdin_lines(failures: Failures) -> Iterator[tuple[int, str]]:
    stream = sys.stdin.buffer if hasattr(sys.stdin, "buffer") else None
    if stream is None:
        yield from enumerate(sys.stdin, 1)
        return
    yield from _decoded(stream, "<stdin>", failures)


def _decoded(fh, name: str, failures: Failures) -> Iterator[tuple[int, str]]:
    """Each line decoded as UTF-8; a line that is not is reported (never dropped silently) and skipped."""
    for n, raw in enumerate(fh, 1):
        try:
            yield n, raw.decode("utf-8")
        except UnicodeDecodeError as e:
            failures.report(f"{name}:{n}", f"invalid UTF-8 at byte offset {e.start}; line skipped")


def _line_docs(lines: Iterator[tuple[int, str]], failures: Failures) -> Iterator[Doc]:
    for n, line in lines:
        text = line.rstrip("\r\n")
        if text.strip():
            yield Doc(f"stdin-{n}", text, {})


def _jsonl_docs(lines: Iterator[tuple[int, str]], name: str, failures: Failures) -> Iterator[Doc]:
    for n, line in lines:
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            failures.report(f"{name}:{n}", f"invalid JSON: {e.msg}; line skipped")
            continue
        if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
            got = type(obj.get("text")).__name__ if isinstance(obj, dict) and "text" in obj else "nothing"
            failures.report(f"{name}:{n}", f'"text" must be a string, got {got}; line skipped')
            continue
        try:
            obj["text"].encode("utf-8")
        except UnicodeEncodeError as e:
            failures.report(f"{name}:{n}", f'"text" holds a lone surrogate at character {e.start}; line skipped')
            continue
        meta = {k: v for k, v in obj.items() if k not in ("id", "text", "entities", "scores")}
        yield Doc(str(obj.get("id", f"{Path(name).stem}-{n}")), obj["text"], meta)


class Writer:
    """Writes one result at a time in the chosen format."""

    def __init__(self, out: TextIO, fmt: str) -> None:
        self.out, self.fmt, self.n = out, fmt, 0
        if fmt == "html":
            from zhner.inference.render import header

            out.write(header("zhner predict"))
        elif fmt == "label-studio":
            out.write("[\n")

    def write(self, doc: Doc, entities) -> None:
        from zhner.annotate.gold import Record, dumps

        rec = Record(doc.id, doc.text, [e.span for e in entities], {**doc.meta, "scores": [e.score for e in entities]})
        if self.fmt == "jsonl":
            self.out.write(dumps(rec) + "\n")
        elif self.fmt == "conll":
            from zhner.annotate.formats import conll_block

            self.out.write(conll_block(rec))
        elif self.fmt == "label-studio":
            from zhner.annotate.formats import label_studio_task

            task = json.dumps(label_studio_task(rec, as_predictions=True), ensure_ascii=False)
            self.out.write(("" if self.n == 0 else ",\n") + task)
        else:
            from zhner.inference.render import document

            self.out.write(document(doc.id, doc.text, rec.entities, rec.meta["scores"]))
        self.n += 1

    def close(self) -> None:
        if self.fmt == "html":
            from zhner.inference.render import footer

            self.out.write(footer())
        elif self.fmt == "label-studio":
            self.out.write("\n]\n")
        self.out.flush()


def predict(
    *,
    model: str | None,
    inputs: Sequence[str],
    output: str | None,
    fmt: str = "jsonl",
    batch_size: int = BATCH_SIZE,
    bf16: str = "auto",
    stdin_format: str = "text",
    progress: bool = True,
    device: str = "auto",
    lexicon: str | None = None,
    lexicon_mode: str = "fill",
    traditional: str = "auto",
) -> tuple[int, int]:
    """Run the model over the inputs and write the results; returns (documents written, input failures)."""
    from tqdm import tqdm
    from zhner.inference.extractor import Extractor

    extractor = Extractor.load(
        model, device=device, bf16=bf16, lexicon=lexicon, lexicon_mode=lexicon_mode, traditional=traditional
    )
    failures = Failures()
    docs = read_inputs(inputs, stdin_format, failures)
    with contextlib.ExitStack() as stack:
        out = (
            sys.stdout
            if output in (None, "-")
            else stack.enter_context(open(output, "w", encoding="utf-8", newline="\n"))
        )
        writer = Writer(out, fmt)
        bar = stack.enter_context(tqdm(unit=" docs", disable=not progress, file=sys.stderr))
        for chunk in _chunks(docs, 256):
            for doc, ents in zip(chunk, extractor.extract_many([d.text for d in chunk], batch_size)):
                writer.write(doc, ents)
            bar.update(len(chunk))
            out.flush()
        writer.close()
    return writer.n, failures.count


def _chunks(items: Iterator[Doc], size: int) -> Iterator[list[Doc]]:
    chunk: list[Doc] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def build_parser(prog: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=prog, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("inputs", nargs="*", metavar="INPUT", help=".txt or .jsonl files, or - for stdin (default)")
    p.add_argument(
        "--model",
        help="model directory from `zhner train` (default: the shipped model, models/shipped/default in the package)",
    )
    p.add_argument("-o", "--output", help="file to write (default: stdout)")
    p.add_argument("--format", default="jsonl", choices=FORMATS, help="output format (default jsonl)")
    p.add_argument(
        "--batch-size", type=int, default=BATCH_SIZE, help=f"windows per forward pass (default {BATCH_SIZE})"
    )
    p.add_argument(
        "--device", default="auto", help="torch device: auto (CUDA if there is one), cpu, cuda, cuda:1 (default auto)"
    )
    p.add_argument(
        "--bf16",
        default="auto",
        choices=["auto", "true", "false"],
        help="bf16 autocast: auto uses it on CUDA and on CPUs with native bf16 (default auto)",
    )
    p.add_argument(
        "--lexicon",
        metavar="FILE",
        help=f"your own names, UTF-8 lines of name<TAB>label ({', '.join(LABELS)}) (default: none)",
    )
    p.add_argument(
        "--lexicon-mode",
        choices=USER_MODES,
        help="fill: your names where the model found nothing; first: your names win (default fill)",
    )
    p.add_argument(
        "--traditional",
        default="auto",
        choices=TRADITIONAL_MODES,
        help="convert Traditional Chinese to Simplified for the model: auto converts the sentences that hold "
        "Traditional characters (default auto)",
    )
    p.add_argument(
        "--stdin-format",
        default="text",
        choices=["text", "jsonl"],
        help="stdin as one document a line (text) or JSON lines (default text)",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar (default: a bar on stderr)")
    p.add_argument("--verbose", action="store_true", help="show tracebacks (default: a one-line error)")
    return p


def main(argv: Sequence[str] | None = None, prog: str = "zhner predict") -> int:
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    if args.lexicon_mode and not args.lexicon:
        parser.error("--lexicon-mode needs --lexicon FILE")
    from zhner.inference.extractor import DeviceError
    from zhner.inference.traditional import TraditionalError
    from zhner.models.lexicon import LexiconError
    from zhner.models.modeldir import ModelDirError
    from zhner.models.words import SegmenterUnavailable

    try:
        n, failed = predict(
            model=args.model,
            inputs=args.inputs,
            output=args.output,
            fmt=args.format,
            batch_size=args.batch_size,
            bf16=args.bf16,
            stdin_format=args.stdin_format,
            progress=not args.quiet,
            device=args.device,
            lexicon=args.lexicon,
            lexicon_mode=args.lexicon_mode or "fill",
            traditional=args.traditional,
        )
    except (ModelDirError, LexiconError, TraditionalError, DeviceError, SegmenterUnavailable, OSError) as e:
        return user_error(e, args.verbose)
    except BrokenPipeError:
        return 0
    if failed:
        print(f"{prog}: {n} documents written; {failed} input problem(s) reported above", file=sys.stderr)
        return 1
    return 0
