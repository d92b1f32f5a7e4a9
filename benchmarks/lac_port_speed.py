"""Speed of the torch port of LAC (models/lacnet.py) against real LAC 2.1.2, one thread each, same texts.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/lac_port_speed.py [--per-file 100] [--repeat 3]

Texts: ``--per-file`` lines spread over each file of ../shared/corpus/text (the agreement test's
sample, read at run time), else the fixture's own sentences. Real LAC runs in its own environment
(``--lac-python``, default ``$ZHNER_LAC_PYTHON`` or .venv-lac/bin/python) through
``models/lacconvert.py --reference`` in batches of ``--batch-size``; its time is that of its own
batched calls, after loading and one warm-up batch. The port's time is ``char_tags`` on the same
texts, same batch size, after loading. Both include LAC's dictionary segmentation. Prints
characters per second of each (the best of ``--repeat`` passes), the ratio, and on how many texts
the two give identical tags.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch
from machine import cpu_model  # benchmarks/machine.py (the script's own folder is on sys.path)
from zhner.models import lacconvert
from zhner.models.lacnet import load_lac

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared/corpus/text"
FIXTURE = ROOT / "tests/fixtures/lac_outputs.json"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--corpus", type=Path, default=CORPUS)
    p.add_argument("--per-file", type=int, default=100)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--lac-python", default=lacconvert.LAC_PYTHON)
    args = p.parse_args()
    torch.set_num_threads(1)
    if args.corpus.is_dir():
        texts, source = lacconvert.sample_corpus(args.corpus, args.per_file), f"{args.corpus} ({args.per_file}/file)"
    else:
        texts = [c["text"] for c in json.loads(FIXTURE.read_text(encoding="utf-8"))["cases"]]
        source = str(FIXTURE)
    chars = sum(map(len, texts))
    print(f"{cpu_model()}, 1 thread; {len(texts)} texts, {chars:,} characters from {source}")

    began = time.perf_counter()
    tagger = load_lac(batch_size=args.batch_size)
    print(f"port: loaded in {time.perf_counter() - began:.2f} s")
    best, ours = float("inf"), []
    for _ in range(args.repeat):
        began = time.perf_counter()
        ours = tagger.char_tags(texts)
        best = min(best, time.perf_counter() - began)
    print(f"port (torch {torch.__version__}): {chars / best:,.0f} characters/s ({best:.2f} s, best of {args.repeat})")

    if not Path(args.lac_python).is_file():
        print(f"real LAC: not run ({args.lac_python} is not there)")
        return 0
    ref = lacconvert.run_reference(texts, python=args.lac_python, batch_size=args.batch_size, repeat=args.repeat)
    seconds = ref["seconds"]
    print(f"real LAC 2.1.2 (paddle): {chars / seconds:,.0f} characters/s ({seconds:.2f} s, best of {args.repeat})")
    print(f"port / LAC: {seconds / best:.2f}x")
    same = sum(a == r["chars"] for a, r in zip(ours, ref["results"], strict=True))
    print(f"identical per-character tags: {same} of {len(texts)} texts")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
