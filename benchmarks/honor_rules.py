"""HONOR rules alone against the HONOR gold: strict span precision, recall and F1 (pure Python, no torch).

    python benchmarks/honor_rules.py [--errors] [--corpus ../shared/corpus/text]

Scores ``models.honor.honor_rules`` on:

- the article and the authored sentences (data/gold/article.jsonl, data/authored/*.jsonl);
- the published-news train split (data/news/train.jsonl, standoff over the shared corpus).

Only the training-side gold is read: the held-out sets (data/news/test.jsonl, data/heldout/) are never
opened, so nothing in the rules is tuned on them. A predicted span counts only when its start, end and
label equal a gold span's. ``--errors`` lists every false positive and false negative with its context.
Runs in about a second.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from zhner.annotate import Record, read_many  # noqa: E402
from zhner.annotate.schema import Span  # noqa: E402
from zhner.models.honor import honor_rules  # noqa: E402

DEFAULT_CORPUS = ROOT.parent / "shared/corpus/text"


def gold_sets(corpus: Path) -> dict[str, list[Record]]:
    """The training-side gold sets, by name."""
    authored = sorted(str(p) for p in (ROOT / "data/authored").glob("*.jsonl"))
    return {
        "article+authored": read_many([str(ROOT / "data/gold/article.jsonl"), *authored]),
        "news train": read_many([str(ROOT / "data/news/train.jsonl")], corpus=corpus),
    }


def score(records: Sequence[Record]) -> tuple[dict[str, float], list[tuple[str, str, str]]]:
    """(gold, pred, tp, P, R, F1) of the rules' HONOR spans, and the errors as (kind, id, context)."""
    tp = n_gold = n_pred = 0
    errors = []
    for rec in records:
        gold = {s for s in rec.entities if s.label == "HONOR"}
        pred = set(honor_rules(rec.text))
        tp += len(gold & pred)
        n_gold += len(gold)
        n_pred += len(pred)
        errors += [("FP", rec.id, context(rec.text, s)) for s in sorted(pred - gold)]
        errors += [("FN", rec.id, context(rec.text, s)) for s in sorted(gold - pred)]
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"gold": n_gold, "pred": n_pred, "tp": tp, "P": p, "R": r, "F1": f}, errors


def context(text: str, span: Span, width: int = 10) -> str:
    return f"{text[max(0, span.start - width) : span.start]}[{span.text_in(text)}]{text[span.end : span.end + width]}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="text folder of the news standoff")
    parser.add_argument("--errors", action="store_true", help="list every false positive and false negative")
    args = parser.parse_args(argv)
    print("| gold set | gold | pred | tp | P | R | F1 |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    all_errors = {}
    for name, records in gold_sets(args.corpus).items():
        row, all_errors[name] = score(records)
        counts = f"{row['gold']} | {row['pred']} | {row['tp']}"
        print(f"| {name} | {counts} | {row['P']:.3f} | {row['R']:.3f} | {row['F1']:.3f} |")
    if args.errors:
        for name, errors in all_errors.items():
            print(f"\n{name}: {len(errors)} errors")
            for kind, rid, ctx in errors:
                print(f"  {kind} {rid} {ctx}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
