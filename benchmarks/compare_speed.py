"""Characters per second of several model directories on the same texts, in one run (the ratio is what travels
between machines; the CPU model is printed with it).

    python benchmarks/compare_speed.py runs/default runs/e5-news [--limit 300] [--threads 2]

Texts: the first --limit lines of the FinRE finance-news sentences in ../shared/corpus/text/ when that folder
exists, else the article's sentences. Each model runs its whole output (network, lexicon and rules), batched
(Extractor.extract_many), after one warm-up pass; the best of --repeats timings counts.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch
from machine import cpu_model  # benchmarks/machine.py (the script's own folder is on sys.path)

ROOT = Path(__file__).resolve().parents[1]
TEXTS = ROOT.parent / "shared/corpus/text/finre-finance-news-sentences.txt"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("models", nargs="+", help="model directories from `zhner train`")
    ap.add_argument("--limit", type=int, default=300, help="number of texts (default 300)")
    ap.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    ap.add_argument("--repeats", type=int, default=2, help="timed passes per model; the best counts (default 2)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    from zhner.inference import Extractor

    if TEXTS.is_file():
        texts = [x.strip() for x in TEXTS.read_text(encoding="utf-8").splitlines() if x.strip()][: args.limit]
        source = str(TEXTS)
    else:
        from zhner.annotate import read_gold

        texts, source = [r.text for r in read_gold(ROOT / "data/gold/article.jsonl")], "data/gold/article.jsonl"
    chars = sum(map(len, texts))
    print(f"{len(texts)} texts, {chars:,} characters from {source}; {cpu_model()}, {args.threads} torch threads")
    first = None
    for path in args.models:
        ex = Extractor.load(path)
        ex.extract_many(texts[:16])  # warm-up
        best = min(_timed(ex, texts) for _ in range(args.repeats))
        rate = chars / best
        first = first or rate
        params = sum(p.numel() for p in ex.model.parameters())
        print(
            f"{path}: {rate:,.0f} characters/s ({params / 1e6:.1f} M parameters, bf16={ex.bf16}), "
            f"{rate / first:.2f}x the first"
        )


def _timed(ex, texts: list[str]) -> float:
    start = time.perf_counter()
    ex.extract_many(texts)
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
