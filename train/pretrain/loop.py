"""The pretraining loop: optimizer steps over shuffled packed blocks, timed checkpoints, a clean stop on Ctrl-C.

The learning rate warms up linearly, then decays linearly to 5% over whichever
budget ends first, ``training.max_tokens`` or ``training.max_minutes``. Each
checkpoint scores the held-out blocks, writes the training state and rewrites
the encoder directory with its card (:mod:`train.pretrain.checkpoint`).
"""

from __future__ import annotations

import json
import logging
import math
import random
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm
from zhner.models.base import use_bf16
from zhner.train.card import encoder_card
from zhner.train.config import ConfigError
from zhner.train.pretrain.checkpoint import PRETRAIN_FILE, resume_from, save_encoder, save_state
from zhner.train.pretrain.config import PretrainConfig
from zhner.train.pretrain.corpus import build_blocks, load_starts
from zhner.train.pretrain.masking import block_ids, mask_tokens, mlm_loss
from zhner.train.pretrain.model import build_model

log = logging.getLogger("zhner.pretrain")


def _trim_memory() -> None:
    """Give freed heap memory back to the OS (glibc); keeps a long CPU run's resident size flat."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


@dataclass
class Schedule:
    """Linear warm-up, then linear decay to 5% over whichever budget (tokens, minutes) ends first."""

    peak: float  # the learning rate after warm-up
    warmup: int  # steps of warm-up (a warm restart takes a fifth, at least 20)
    total_steps: int  # the token budget, in steps
    budget: float  # the time budget in seconds (0: none)
    warm_from: int = 0  # the step a warm restart (fresh optimizer on saved weights) began at; 0: none

    def __call__(self, step: int, elapsed: float) -> float:
        warm = self.warmup if self.warm_from == 0 else max(20, self.warmup // 5)
        s = step - self.warm_from
        if s < warm:
            return self.peak * (s + 1) / warm
        progress = min(1.0, step / max(self.total_steps, 1))
        if self.budget:
            progress = max(progress, min(1.0, elapsed / self.budget))
        return self.peak * max(0.05, 1.0 - progress)


@dataclass
class EpochOrder:
    """The block rows of each step: a permutation per epoch seeded by (seed, epoch), so a resumed run
    draws the very batches the interrupted one would have."""

    blocks: int
    batch: int
    seed: int
    _perms: dict[int, np.ndarray] = field(default_factory=dict)

    def __call__(self, step: int) -> np.ndarray:
        epoch, k = divmod(step, self.blocks // self.batch)
        if epoch not in self._perms:
            self._perms.clear()
            self._perms[epoch] = np.random.default_rng([self.seed, epoch]).permutation(self.blocks)
        return self._perms[epoch][k * self.batch : (k + 1) * self.batch]


@torch.no_grad()
def heldout_loss(model, blocks, tokenizer, cfg: PretrainConfig, device, bf16: bool) -> float:
    model.eval()
    gen = torch.Generator().manual_seed(0)  # the same masks every time (on the CPU): comparable numbers
    n = min(len(blocks), cfg.training.eval_blocks)
    total, count = 0.0, 0
    for i in range(0, n, cfg.training.batch_size):
        ids = block_ids(blocks, slice(i, min(n, i + cfg.training.batch_size)), torch.device("cpu"))
        inputs, labels = mask_tokens(ids, tokenizer, cfg.training.mask_prob, gen)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
            loss = mlm_loss(model, inputs.to(device), labels.to(device))
        k = int((labels != -100).sum())
        total, count = total + float(loss) * k, count + k
    model.train()
    return total / max(count, 1)


@dataclass
class Run:
    """What a checkpoint needs of a run in progress."""

    cfg: PretrainConfig
    out: Path
    model: torch.nn.Module
    optimizer: torch.optim.Optimizer
    tokenizer: object
    held_blocks: np.ndarray
    device: torch.device
    bf16: bool
    command: str
    state: dict
    t_start: float = field(default_factory=time.time)
    seconds_before: float = 0.0
    held: float | None = None  # the held-out loss at the last checkpoint

    @property
    def state_file(self) -> Path:
        return self.out.with_name(self.out.name + ".state.pt")


def checkpoint(run: Run, final: bool = False) -> None:
    """Score the held-out blocks, then write the state file, the encoder directory and its facts."""
    state, cfg = run.state, run.cfg
    state["seconds"] = round(run.seconds_before + time.time() - run.t_start, 1)
    if len(run.held_blocks):
        held = heldout_loss(run.model, run.held_blocks, run.tokenizer, cfg, run.device, run.bf16)
    else:
        held = float("nan")
        log.warning("no held-out block (corpus too small for data.holdout): no perplexity")
    state["history"].append(
        {"step": state["step"], "tokens": state["tokens"], "heldout_loss": held, "seconds": state["seconds"]}
    )
    run.held = held
    save_state(run.state_file, run.model, run.optimizer, state)
    facts = {k: state[k] for k in ("step", "tokens", "seconds", "history")}
    card = encoder_card(cfg, state, held, run.device, run.bf16, run.command)
    save_encoder(run.out, run.model, run.tokenizer, card, fp16=cfg.training.save_fp16)
    (run.out / PRETRAIN_FILE).write_text(
        json.dumps({**facts, "config": asdict(cfg)}, indent=1) + "\n", encoding="utf-8"
    )
    log.info(
        "checkpoint: step %d, %s tokens, held-out loss %.3f (perplexity %.1f)%s",
        state["step"],
        f"{state['tokens']:,}",
        held,
        math.exp(min(held, 50)),
        " [final]" if final else "",
    )


def pretrain(cfg: PretrainConfig, *, output: str | Path | None = None, resume: bool = False, command: str = "") -> dict:
    """Run (or continue) pretraining; returns the final facts. The output directory is a usable encoder."""
    out = Path(output or f"runs/{cfg.name}")
    out.parent.mkdir(parents=True, exist_ok=True)
    if cfg.training.threads:
        torch.set_num_threads(cfg.training.threads)
    torch.manual_seed(cfg.training.seed)
    random.seed(cfg.training.seed)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    # --- model, corpus, optimizer
    model, tokenizer = build_model(cfg)
    train_blocks, held_blocks = build_blocks(cfg, tokenizer)
    word_starts = load_starts(cfg, tokenizer)  # held-out loss stays per token: comparable with or without
    if len(train_blocks) < cfg.training.batch_size:
        raise ConfigError(f"the corpus gives only {len(train_blocks)} blocks, fewer than one batch")
    bf16 = use_bf16(cfg.training.bf16, "pretrain", device)  # auto: detect (models.base.BF16_AUTO)
    model.to(device).train()
    decay = [p for n, p in model.named_parameters() if p.ndim > 1]
    no_decay = [p for n, p in model.named_parameters() if p.ndim <= 1]
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": cfg.training.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=cfg.training.learning_rate,
        betas=(0.9, 0.98),
        eps=1e-6,
        fused=device.type == "cuda",
    )
    state = {"step": 0, "tokens": 0, "history": [], "seconds": 0.0, "config": asdict(cfg)}
    run = Run(cfg, out, model, optimizer, tokenizer, held_blocks, device, bf16, command, state)
    if resume:
        run.model, run.optimizer, run.state = resume_from(cfg, out, run.state_file, model, optimizer, run.state, device)
    return _steps(run, train_blocks, word_starts)


def _steps(run: Run, train_blocks: np.ndarray, word_starts: tuple[np.ndarray, np.ndarray] | None) -> dict:
    """The steps from ``run.state["step"]`` to the end of the budget, then the final checkpoint."""
    cfg, state, device = run.cfg, run.state, run.device
    per_step = cfg.data.block_size * cfg.training.batch_size
    total_steps = math.ceil(cfg.training.max_tokens / per_step)
    start_step = state["step"]
    budget = 60 * cfg.training.max_minutes
    lr_at = Schedule(
        cfg.training.learning_rate, cfg.training.warmup_steps, total_steps, budget, state.get("warm_restart", 0)
    )
    batch_rows = EpochOrder(len(train_blocks), cfg.training.batch_size, cfg.training.seed)
    gen = torch.Generator(device=device).manual_seed(cfg.training.seed + start_step)
    last_save = time.time()
    run.t_start, run.seconds_before = time.time(), state["seconds"]

    bar = tqdm(total=total_steps, initial=start_step, unit="step", dynamic_ncols=True)
    smoothed = None
    try:
        for step in range(start_step, total_steps):
            elapsed = time.time() - run.t_start
            if budget and elapsed >= budget:
                log.info("training.max_minutes reached after %d steps of this run", step - start_step)
                break
            rows = np.sort(batch_rows(step))
            ids = block_ids(train_blocks, rows, device)
            starts = block_ids(word_starts[0], rows, device) if word_starts is not None else None
            inputs, labels = mask_tokens(ids, run.tokenizer, cfg.training.mask_prob, gen, starts)
            for group in run.optimizer.param_groups:
                group["lr"] = lr_at(step, elapsed)
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=run.bf16):
                loss = mlm_loss(run.model, inputs, labels)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(run.model.parameters(), 1.0)
            run.optimizer.step()
            run.optimizer.zero_grad(set_to_none=True)
            state["step"] = step + 1
            state["tokens"] += per_step
            if device.type == "cpu" or state["step"] % 25 == 0:  # reading the loss waits for the GPU
                value = float(loss.detach())
                smoothed = value if smoothed is None else 0.98 * smoothed + 0.02 * value
                rate = (state["step"] - start_step) * per_step / max(time.time() - run.t_start, 1e-9)
                bar.set_postfix(loss=f"{smoothed:.3f}", tok_s=f"{rate:,.0f}")
            bar.update(1)
            if state["step"] % 50 == 0:
                _trim_memory()
            if time.time() - last_save > 60 * cfg.training.save_minutes:
                checkpoint(run)
                last_save = time.time()
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM: keep what was learned since the last checkpoint
        bar.close()
        log.warning("interrupted at step %d: writing a checkpoint before stopping", state["step"])
        checkpoint(run)
        raise
    bar.close()
    checkpoint(run, final=True)
    return {
        "output": str(run.out),
        "step": state["step"],
        "tokens": state["tokens"],
        "heldout_loss": run.held,
        "seconds": state["seconds"],
        "tokens_per_second": (state["step"] - start_step) * per_step / max(time.time() - run.t_start, 1e-9),
    }
