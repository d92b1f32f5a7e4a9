"""Inference speed: Extractor (batched, length-sorted, bf16 autocast where the CPU has it) against
transformers.pipeline("token-classification", aggregation_strategy="simple") called per sentence,
on the same model and texts, in the same run.

    python benchmarks/inference_speed.py [--model runs/default] [--texts FILE] [--limit 2000]

Texts: one per line from --texts (default: the FinRE finance-news sentences in
../shared/corpus/text/ when that folder exists, else the article's sentences).
Both run the network alone (the model's lexicon and METRIC rules are switched off).
Prints characters per second for each, the ratio, and how often the entities agree:
Extractor bf16 vs Extractor fp32 (what the speed tricks may change) and Extractor vs
the pipeline (which also decodes differently: argmax + "simple" grouping over its own
tokenization, where the Extractor uses characters and constrained Viterbi).
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_TEXTS = ROOT.parent / "shared/corpus/text/finre-finance-news-sentences.txt"


def load_texts(path: Path | None, limit: int) -> tuple[list[str], str]:
    if path is None:
        path = DEFAULT_TEXTS if DEFAULT_TEXTS.is_file() else None
    if path is None:
        from zhner.annotate import read_gold

        texts = [r.text for r in read_gold(ROOT / "data/gold/article.jsonl")]
        return texts, "data/gold/article.jsonl"
    lines = [x.strip() for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    return lines[:limit], str(path)


def timed(fn, *args):
    t = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - t


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default=str(ROOT / "runs/default"))
    p.add_argument("--texts", type=Path, help="one text a line")
    p.add_argument("--limit", type=int, default=2000, help="at most this many texts")
    p.add_argument("--batch-size", type=int, default=64)
    args = p.parse_args()
    if not Path(args.model).is_dir():
        print(f"no model at {args.model}: run `zhner train --config configs/default.yaml` first", file=sys.stderr)
        return 1

    from transformers import pipeline
    from zhner.inference import Extractor

    texts, source = load_texts(args.texts, args.limit)
    chars = sum(len(t) for t in texts)
    print(f"machine: {platform.machine()}, {torch.get_num_threads()} torch threads; model {args.model}")
    print(f"texts: {len(texts)} from {source}, {chars:,} characters")

    # the network alone, like the pipeline (no lexicon, no METRIC rules)
    fast = Extractor.load(args.model, bf16="auto", postprocess=False)
    fp32 = Extractor.load(args.model, bf16="false", postprocess=False)
    fast.extract_many(texts[:50], args.batch_size)  # warm-up
    got, t_fast = timed(fast.extract_many, texts, args.batch_size)
    ref, t_fp32 = timed(fp32.extract_many, texts, args.batch_size)

    tagger = pipeline("token-classification", model=args.model, aggregation_strategy="simple", device="cpu")
    tagger(texts[0])
    pipe, t_pipe = timed(lambda: [tagger(t) for t in texts])

    def spans(ents):
        return {(e.start, e.end, e.label) for e in ents}

    same_fp32 = sum(spans(a) == spans(b) for a, b in zip(got, ref))
    same_pipe = sum(spans(a) == {(e["start"], e["end"], e["entity_group"]) for e in b} for a, b in zip(ref, pipe))
    print(f"Extractor (bf16 {'on' if fast.bf16 else 'off'}):  {chars / t_fast:>10,.0f} chars/s  ({t_fast:.1f} s)")
    print(f"Extractor (fp32):     {chars / t_fp32:>10,.0f} chars/s  ({t_fp32:.1f} s)")
    print(f"pipeline per text:    {chars / t_pipe:>10,.0f} chars/s  ({t_pipe:.1f} s)")
    print(f"speed-up over pipeline: {t_pipe / t_fast:.2f}x (fp32 Extractor: {t_pipe / t_fp32:.2f}x)")
    print(
        f"same entities, Extractor bf16 vs fp32: {same_fp32}/{len(texts)} texts ({100 * same_fp32 / len(texts):.1f}%)"
    )
    print(
        f"same entities, Extractor fp32 vs pipeline: {same_pipe}/{len(texts)} texts "
        f"({100 * same_pipe / len(texts):.1f}%; different decoders, see the docstring)"
    )
    shown = 0
    for text, a, b in zip(texts, got, ref):
        if spans(a) != spans(b) and shown < 5:
            print(
                f"  differs: {text[:50]}…  bf16-only {sorted(spans(a) - spans(b))}  "
                f"fp32-only {sorted(spans(b) - spans(a))}"
            )
            shown += 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
