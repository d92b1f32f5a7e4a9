"""Traditional Chinese input: a model on a gold file, and on the same file converted to Traditional.

    python benchmarks/traditional.py [--model runs/default] [--data data/news/test.jsonl]
                                     [--corpus ../shared/corpus/text] [--limit N]

Each gold sentence is converted with OpenCC's ``s2t`` (Simplified → Traditional).
Its spans are kept as they are when the conversion keeps the sentence's length
(OpenCC's dictionaries map every phrase and character to one of the same length);
a sentence whose length changes is skipped and counted. The model directory then
predicts, with its full output (its lexicon and METRIC rules as configured):

- the original sentences;
- the Traditional ones as ``zhner predict`` does (``traditional="auto"``: converted
  back to Simplified for the model, entities on the Traditional text);
- the Traditional ones with the conversion off (``traditional="never"``): what the
  model makes of Traditional text by itself.

Prints the strict F1 of ``evaluation.metrics.prf`` per label and micro for each
run, and the differences to the original. A torch job: minutes for the 560
sentences of the published-news test on 2 CPU cores.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from zhner.annotate.gold import Record
from zhner.annotate.schema import LABELS
from zhner.models.modeldir import BATCH_SIZE

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = ROOT.parent / "shared/corpus/text"


def to_traditional(records: Sequence[Record], s2t: Callable[[str], str]) -> tuple[list[Record], int]:
    """(records with their text converted and their spans kept, how many were skipped for a length change)."""
    out, skipped = [], 0
    for rec in records:
        text = s2t(rec.text)
        if len(text) != len(rec.text):
            skipped += 1
            continue
        out.append(Record(rec.id, text, list(rec.entities), dict(rec.meta)))
    return out, skipped


def scores(model: str, records: Sequence[Record], traditional: str, batch_size: int) -> dict:
    """Strict P/R/F1 (evaluation.metrics.prf) of the model's output on ``records``."""
    from zhner.evaluation.metrics import prf
    from zhner.inference import Extractor

    extractor = Extractor.load(model, traditional=traditional)
    pred = [[e.span for e in ents] for ents in extractor.extract_many([r.text for r in records], batch_size)]
    return prf([r.entities for r in records], pred)


def table(runs: dict[str, dict]) -> str:
    """A Markdown table of F1 per label and micro for each run, and each run's difference to the first."""
    names = list(runs)
    base = runs[names[0]]
    head = ["label", *names, *(f"{n} − {names[0]}" for n in names[1:])]
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    for lab in [*LABELS, "micro"]:
        cells = [f"{100 * runs[n][lab]['f1']:.1f}" for n in names]
        cells += [f"{100 * (runs[n][lab]['f1'] - base[lab]['f1']):+.1f}" for n in names[1:]]
        lines.append(f"| {lab} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default=str(ROOT / "runs/default"), help="model directory (default runs/default)")
    p.add_argument(
        "--data",
        nargs="+",
        default=[str(ROOT / "data/news/test.jsonl")],
        help="gold files (default data/news/test.jsonl)",
    )
    p.add_argument("--corpus", default=str(DEFAULT_CORPUS), help="corpus folder of standoff gold (default %(default)s)")
    p.add_argument("--limit", type=int, default=0, help="only the first N sentences (default 0: all)")
    p.add_argument(
        "--batch-size", type=int, default=BATCH_SIZE, help=f"windows per forward pass (default {BATCH_SIZE})"
    )
    args = p.parse_args(argv)
    if not Path(args.model).is_dir():
        print(f"no model at {args.model}: run `zhner train` first", file=sys.stderr)
        return 1
    from zhner.annotate import read_many
    from zhner.inference.traditional import INSTALL

    try:
        import opencc
    except ImportError:
        print(f"this benchmark needs OpenCC: {INSTALL}", file=sys.stderr)
        return 1
    corpus = args.corpus if Path(args.corpus).is_dir() else None
    records = read_many(args.data, corpus=corpus)[: args.limit or None]
    converted, skipped = to_traditional(records, opencc.OpenCC("s2t").convert)
    kept_ids = {r.id for r in converted}
    originals = [r for r in records if r.id in kept_ids]
    changed = sum(a.text != b.text for a, b in zip(originals, converted))
    print(f"model {args.model}; data {', '.join(args.data)}: {len(records)} sentences")
    print(f"s2t changed {changed} of them; {skipped} skipped (length changed); {len(converted)} scored")
    runs = {
        "original": scores(args.model, originals, "auto", args.batch_size),
        "traditional": scores(args.model, converted, "auto", args.batch_size),
        "traditional, no conversion": scores(args.model, converted, "never", args.batch_size),
    }
    print("strict F1:")
    print(table(runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
