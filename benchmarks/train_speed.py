"""Training speed of a config on this machine: seconds per epoch, tokens per second, time to best dev score.

    python benchmarks/train_speed.py [--config configs/default.yaml] [--set training.epochs=10 ...]

Runs the real training (zhner train) into a temporary directory and prints
the figures; the model is thrown away.
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
from pathlib import Path

import torch
from zhner.train.config import load_config
from zhner.train.run import run


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", default="configs/default.yaml")
    p.add_argument("--set", dest="overrides", action="append", default=[])
    args = p.parse_args()
    cfg = load_config(args.config, args.overrides)
    with tempfile.TemporaryDirectory() as tmp:
        result = run(cfg, output=Path(tmp) / "model")
        metrics = json.loads((Path(tmp) / "model" / "metrics.json").read_text(encoding="utf-8"))
    epochs = metrics["epochs"]
    train_tokens = metrics.get("train_tokens", 0)
    seconds = result["seconds"]
    train_runtime = result.get("train_runtime", seconds)
    per_epoch = train_runtime / max(result["epochs_run"], 1)
    print(
        f"machine: {platform.processor() or platform.machine()}, torch threads {torch.get_num_threads()}, "
        f"device {result['device']}"
    )
    print(f"config: {args.config} {' '.join(args.overrides)}")
    print(f"epochs run: {result['epochs_run']:.0f} (best dev micro-F1 at epoch {result['best_epoch']})")
    print(f"total wall time: {seconds:.1f} s (training loop {train_runtime:.1f} s, incl. per-epoch dev evaluation)")
    print(f"seconds per epoch: {per_epoch:.2f}")
    print(f"training tokens per second: {train_tokens * result['epochs_run'] / train_runtime:,.0f}")
    best = result["best_epoch"] or 0
    print(
        f"time to best dev score: ~{per_epoch * best:.1f} s of training; dev micro-F1 "
        f"{100 * result['dev']['micro']['f1']:.1f} over {len(epochs)} evaluations"
    )


if __name__ == "__main__":
    main()
