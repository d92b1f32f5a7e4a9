"""zhner annotate: tools that make and keep gold data trustworthy.

Gold data is JSON Lines, one sentence an object:
  {"id": "article-001", "text": "...", "entities": [[start, end, "LABEL"], ...]}
with character offsets (end exclusive) and labels ORG, LOC, METRIC, HONOR, as
defined in ../shared/annotation-spec.md and explained in annotate/GUIDELINES.md.

Typical loop for a new article:
  zhner annotate split raw/new.txt -o data/gold/new.jsonl     # skeleton, one sentence a line
  (annotate, e.g. in Label Studio: convert --to label-studio, then back with --from label-studio)
  zhner annotate validate data/gold/new.jsonl                 # every problem as file:line: reason
  zhner annotate stats data/gold/*.jsonl

Standoff gold (data/news/: no text, only corpus file, line, hash and offsets) is read
by every command given the corpus folder (--corpus DIR or $ZHNER_CORPUS):
  zhner annotate validate data/news/test.jsonl --corpus ../shared/corpus/text
  zhner annotate resolve data/news/test.jsonl --corpus ../shared/corpus/text -o /tmp/news-test.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from zhner.annotate import gold
from zhner.annotate.cliargs import add_corpus, add_quiet, add_subcommands, add_verbose, new_parser, user_error
from zhner.annotate.folds import FOLD_SEED, FOLDS
from zhner.annotate.standoff import Corpus, corpus_folder


class UserError(Exception):
    """A mistake the user can fix; printed as one line, exit status 1."""


def cmd_split(args: argparse.Namespace) -> int:
    """Split a raw UTF-8 text into an annotation skeleton (id, doc_start, text, empty entities)."""
    from zhner.annotate.split import split_text

    raw = _read_text(args.raw)
    doc_id = args.doc_id or Path(args.raw).stem
    records = split_text(raw, doc_id)
    if not records:
        raise UserError(f"{args.raw}: no text to split (the file is empty or whitespace only)")
    n = gold.write_gold(args.output, records)
    print(f"{args.output}: {n} sentences from {len(raw)} characters", file=sys.stderr)
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    """Check gold files against the spec; print each problem as file:line: reason."""
    count = 0
    for problem in gold.validate(args.files, corpus=args.corpus):
        print(problem)
        count += 1
    if count:
        print(f"{count} problem(s) in {len(args.files)} file(s)", file=sys.stderr)
        return 1
    if not args.quiet:
        print(f"ok: {len(args.files)} file(s) valid", file=sys.stderr)
    return 0


def _read_text(path: str) -> str:
    from zhner.annotate.split import read_raw

    try:
        return read_raw(path)
    except FileNotFoundError:
        raise UserError(f"{path}: no such file") from None
    except UnicodeDecodeError as e:
        raise UserError(f"{path}: not valid UTF-8 (byte {e.start})") from None


def _read_records(paths: Sequence[str], corpus: str | Corpus | None = None) -> list[gold.Record]:
    try:
        return gold.read_many(paths, corpus=corpus)
    except gold.GoldError as e:
        raise UserError(f"invalid gold data (run `zhner annotate validate`):\n{e}") from None


COMMANDS: dict[str, tuple[Callable[[argparse.Namespace], int], Callable[[argparse.ArgumentParser], None]]] = {}


def _add_split(p: argparse.ArgumentParser) -> None:
    p.add_argument("raw", help="raw UTF-8 text file (one article)")
    p.add_argument("-o", "--output", required=True, help="skeleton JSONL to write")
    p.add_argument("--doc-id", help="prefix of the sentence ids (default: the file name without extension)")


def _add_validate(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="+", help="gold JSONL files")
    add_quiet(p, "print nothing when all files are valid")
    add_corpus(p)


def cmd_resolve(args: argparse.Namespace) -> int:
    """Write standoff gold as ordinary gold JSONL with its text, read from the corpus.

    Example: zhner annotate resolve data/news/test.jsonl --corpus ../shared/corpus/text -o /tmp/news-test.jsonl
    Every line is checked first (missing corpus, file or line, a hash that no longer matches): any problem
    is printed as file:line: reason, the exit status is 1 and nothing is written. The output holds corpus
    text: write it outside the repository.
    """
    corpus = corpus_folder(args.corpus)  # read each corpus file once for both passes
    problems = list(gold.validate(args.files, corpus=corpus))
    if problems:
        for problem in problems:
            print(problem)
        raise UserError(f"{len(problems)} problem(s): nothing written")
    records = gold.read_many(args.files, corpus=corpus)
    out = Path(args.output)
    repo = Path(__file__).resolve().parents[1]
    if not args.force and out.resolve().is_relative_to(repo) and (repo / ".git").exists():
        raise UserError(f"{out} is inside the repository: corpus text must not be committed (use --force to insist)")
    tmp = out.with_name(out.name + ".part")
    n = gold.write_gold(tmp, records)
    tmp.replace(out)
    print(f"{out}: {n} sentences resolved from {len(args.files)} file(s)", file=sys.stderr)
    return 0


def _add_resolve(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="+", help="standoff (or ordinary) gold JSONL files")
    p.add_argument("-o", "--output", required=True, help="gold JSONL to write (with text; keep it outside the repo)")
    p.add_argument("--force", action="store_true", help="allow an output path inside the repository")
    add_corpus(p)


def cmd_stats(args: argparse.Namespace) -> int:
    """Per-label mention counts, distinct mentions, sentences, characters and sentence lengths."""
    from zhner.annotate.stats import render, stats

    result = stats(_read_records(args.files, args.corpus))
    print(json.dumps(result, ensure_ascii=False, indent=2) if args.json else render(result))
    return 0


def _add_stats(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="+", help="gold JSONL files")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    add_corpus(p)


def cmd_convert(args: argparse.Namespace) -> int:
    """Convert between gold JSONL and BIO/BIOES (CoNLL), Label Studio and doccano, losslessly.

    Example: zhner annotate convert data/gold/article.jsonl -o article.bio --to bio
    Back:    zhner annotate convert article.bio -o article.jsonl --from bio
    """
    from zhner.annotate.formats import convert

    try:
        n = convert(args.input, args.output, src_format=args.src, dst_format=args.dst)
    except gold.GoldError as e:
        raise UserError(f"cannot read {args.input} as {args.src}:\n{e}") from None
    except FileNotFoundError as e:
        raise UserError(f"{e.filename}: no such file") from None
    except UnicodeDecodeError as e:
        raise UserError(f"{args.input}: not valid UTF-8 (byte {e.start})") from None
    print(f"{args.output}: {n} sentences ({args.src} -> {args.dst})", file=sys.stderr)
    return 0


def _add_convert(p: argparse.ArgumentParser) -> None:
    from zhner.annotate.formats import FORMATS

    names = ", ".join(sorted(FORMATS))
    p.add_argument("input", help="file to read")
    p.add_argument("-o", "--output", required=True, help="file to write")
    for flag, dest, side in (("--from", "src", "input"), ("--to", "dst", "output")):
        p.add_argument(
            flag, dest=dest, default="gold", choices=sorted(FORMATS), metavar="FMT", help=f"{side} format: {names}"
        )


def cmd_agree(args: argparse.Namespace) -> int:
    """Agreement of two annotators on the same sentences: span P/R/F1 (A as reference), kappa, disagreements."""
    from zhner.annotate.agree import agreement, render

    try:
        corpus = corpus_folder(args.corpus)
        result = agreement(_read_records([args.a], corpus), _read_records([args.b], corpus))
    except ValueError as e:
        raise UserError(str(e)) from None
    print(json.dumps(result, ensure_ascii=False, indent=2) if args.json else render(result))
    return 0


def _add_agree(p: argparse.ArgumentParser) -> None:
    p.add_argument("a", help="annotator A's gold JSONL (the reference)")
    p.add_argument("b", help="annotator B's gold JSONL (same ids and texts)")
    p.add_argument("--json", action="store_true", help="print JSON instead of tables")
    add_corpus(p)


def cmd_folds(args: argparse.Namespace) -> int:
    """Deterministic k-fold assignment at sentence level, as a "fold" field or a side file.

    Example: zhner annotate folds data/gold/article.jsonl -k 5 --seed 13 -o runs/article.folds.jsonl
    """
    from zhner.annotate.folds import assign_folds

    records = _read_records([args.file])
    try:
        folds = assign_folds([r.id for r in records], args.k, args.seed)
    except ValueError as e:
        raise UserError(f"{args.file}: {e}") from None
    if args.side:
        Path(args.side).parent.mkdir(parents=True, exist_ok=True)
        Path(args.side).write_text(json.dumps(folds, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    if args.output:
        for r in records:
            r.meta["fold"] = folds[r.id]
        gold.write_gold(args.output, records)
    if not (args.side or args.output):
        raise UserError("give -o OUT.jsonl (gold with a fold field) and/or --side FOLDS.json")
    sizes = [sum(1 for f in folds.values() if f == i) for i in range(args.k)]
    print(f"{len(records)} sentences in {args.k} folds of sizes {sizes} (seed {args.seed})", file=sys.stderr)
    return 0


def _add_folds(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="gold JSONL")
    p.add_argument("-k", type=int, default=FOLDS, help="number of folds")
    p.add_argument("--seed", type=int, default=FOLD_SEED, help="shuffle seed")
    p.add_argument("-o", "--output", help="write the gold file again with a 'fold' field (default: not written)")
    p.add_argument("--side", help="write a JSON side file {id: fold} (default: not written)")


COMMANDS["split"] = (cmd_split, _add_split)
COMMANDS["validate"] = (cmd_validate, _add_validate)
COMMANDS["resolve"] = (cmd_resolve, _add_resolve)
COMMANDS["stats"] = (cmd_stats, _add_stats)
COMMANDS["convert"] = (cmd_convert, _add_convert)
COMMANDS["agree"] = (cmd_agree, _add_agree)
COMMANDS["folds"] = (cmd_folds, _add_folds)


def build_parser(prog: str = "zhner annotate") -> argparse.ArgumentParser:
    p = new_parser(prog, __doc__)
    add_verbose(p, "show a traceback on errors")
    add_subcommands(p, COMMANDS, dest="command", title="commands (COMMAND --help for each)")
    return p


def main(argv: Sequence[str] | None = None, prog: str = "zhner annotate") -> int:
    p = build_parser(prog)
    args = p.parse_args(argv)
    if not getattr(args, "func", None):
        p.print_help()
        return 2
    try:
        return args.func(args)
    except UserError as e:
        return user_error(e, args.verbose)
    except BrokenPipeError:
        return 0
