"""Pretraining speed on this machine: tokens per second of MLM steps for a pretraining config.

    python benchmarks/pretrain_speed.py [--config configs/pretrain-mini.yaml] [--steps 10] [--set key=value ...]

Times full optimizer steps (masking, bf16 autocast where available, loss on
the masked positions only, backward, AdamW) on random packed blocks of the
configured size, after two warm-up steps, and prints tokens/s for bf16 and fp32.
Nothing is read from the corpus and nothing is written.
"""

from __future__ import annotations

import argparse
import platform
import time

import torch
from zhner.models.base import use_bf16
from zhner.train.pretrain import build_model, load_pretrain_config, mask_tokens, mlm_loss


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", default="configs/pretrain-mini.yaml")
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--set", dest="overrides", action="append", default=[])
    args = p.parse_args()
    cfg = load_pretrain_config(args.config, args.overrides)
    if cfg.training.threads:
        torch.set_num_threads(cfg.training.threads)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    print(f"machine: {platform.machine()}, {torch.get_num_threads()} torch threads, device {device}")
    s = cfg.model.scratch
    print(
        f"model: {cfg.model.init} ({s.layers} x {s.hidden}), blocks {cfg.training.batch_size} x {cfg.data.block_size}"
    )
    for bf16 in sorted({use_bf16(cfg.training.bf16, "pretrain", device), False}, reverse=True):
        model, tok = build_model(cfg)
        model.to(device).train()
        opt = torch.optim.AdamW(model.parameters(), lr=1e-4, fused=device.type == "cuda")
        gen = torch.Generator(device=device).manual_seed(0)
        ids = torch.randint(5, len(tok), (cfg.training.batch_size, cfg.data.block_size), device=device)
        ids[:, 0], ids[:, -1] = tok.cls_token_id, tok.sep_token_id
        times = []
        for step in range(args.steps + 2):
            t = time.perf_counter()
            inputs, labels = mask_tokens(ids, tok, cfg.training.mask_prob, gen)
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
                loss = mlm_loss(model, inputs, labels)
            loss.backward()
            opt.step()
            opt.zero_grad(set_to_none=True)
            if device.type == "cuda":
                torch.cuda.synchronize()
            if step >= 2:
                times.append(time.perf_counter() - t)
        per_step = sum(times) / len(times)
        tokens = cfg.training.batch_size * cfg.data.block_size
        print(f"{'bf16' if bf16 else 'fp32'}: {per_step:.2f} s/step, {tokens / per_step:,.0f} tokens/s")


if __name__ == "__main__":
    main()
