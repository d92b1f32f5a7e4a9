"""What pretraining writes and reads back: the encoder directory, the training state, and resuming from either.

The encoder directory (``model.safetensors`` + config + tokenizer + README) is
written atomically by :func:`models.modeldir.atomic_dir`, so it is a usable
``model.base`` at any time. The training state (model, optimizer, step, tokens
seen) sits beside it in ``<output>.state.pt``.
"""

from __future__ import annotations

import copy
import json
import logging
import os
from pathlib import Path

import torch
from transformers import BertForMaskedLM
from transformers.utils import logging as hf_logging
from zhner.models.modeldir import atomic_dir
from zhner.train.pretrain.config import PretrainConfig

log = logging.getLogger("zhner.pretrain")
PRETRAIN_FILE = "pretrain.json"  # the run's facts beside the encoder: steps, tokens, history, config
FINE_TUNING_DROPOUT = 0.1  # what the saved encoder's config says (pretraining itself runs without)


def save_encoder(out: Path, model, tokenizer, card: str, *, fp16: bool = False) -> None:
    """model.safetensors + config + tokenizer + README, written atomically into ``out``."""
    with atomic_dir(out) as tmp:
        hf_logging.disable_progress_bar()
        try:
            to_save = copy.deepcopy(model)
            to_save.config.hidden_dropout_prob = to_save.config.attention_probs_dropout_prob = FINE_TUNING_DROPOUT
            if fp16:
                to_save = to_save.half()
            to_save.save_pretrained(tmp, safe_serialization=True)
        finally:
            hf_logging.enable_progress_bar()
        tokenizer.save_pretrained(tmp)
        (tmp / "README.md").write_text(card, encoding="utf-8")


def save_state(path: Path, model, optimizer, state: dict) -> None:
    tmp = path.with_suffix(".tmp")
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "state": state}, tmp)
    os.replace(tmp, path)


def resume_from(cfg: PretrainConfig, out: Path, state_file: Path, model, optimizer, state: dict, device: torch.device):
    """(model, optimizer, state) to continue from: the state file if there is one, else the encoder's
    weights in ``out`` with a fresh optimizer and a short warm-up, else what was given."""
    if state_file.is_file():
        saved = torch.load(state_file, map_location=device, weights_only=False)
        model.load_state_dict(saved["model"])
        optimizer.load_state_dict(saved["optimizer"])
        state = saved["state"]
        log.info("resumed from %s at step %d (%s tokens)", state_file, state["step"], f"{state['tokens']:,}")
    elif (out / "model.safetensors").is_file():
        model = BertForMaskedLM.from_pretrained(out, attn_implementation=cfg.model.attention).float()
        model.config.hidden_dropout_prob = model.config.attention_probs_dropout_prob = cfg.model.dropout
        model = model.to(device).train()  # weights only: fresh optimizer
        optimizer = torch.optim.AdamW(
            model.parameters(),
            lr=cfg.training.learning_rate,
            betas=(0.9, 0.98),
            eps=1e-6,
            weight_decay=cfg.training.weight_decay,
        )
        facts = out / PRETRAIN_FILE
        prev = json.loads(facts.read_text(encoding="utf-8")) if facts.is_file() else {}
        state.update({k: prev.get(k, state[k]) for k in ("step", "tokens", "history", "seconds")})
        state["warm_restart"] = state["step"]
        log.info(
            "resumed from the weights in %s (fresh optimizer, short warm-up); %s tokens seen before",
            out,
            f"{state['tokens']:,}",
        )
    return model, optimizer, state
