"""What a trained or pretrained directory says about itself: the README model cards and the metrics CSV.

:func:`model_card` describes a fine-tuned model (train.run), :func:`encoder_card`
a pretrained encoder (train.pretrain); :func:`history_csv` is a fine-tuning run's
per-epoch metrics as ``metrics.csv``.
"""

from __future__ import annotations

import csv
import io
import math
from typing import TYPE_CHECKING

import torch
from zhner.annotate.schema import LABELS
from zhner.models.base import SCRATCH
from zhner.train.metrics import render

if TYPE_CHECKING:
    from zhner.train.config import Config
    from zhner.train.pretrain.config import PretrainConfig


def history_csv(history: list[dict]) -> str:
    """The Trainer's per-epoch evaluation logs as CSV: loss, micro P/R/F1 and each label's F1."""
    buf = io.StringIO()
    keys = ["epoch", "eval_loss", "eval_f1", "eval_precision", "eval_recall"] + [f"eval_f1_{lab}" for lab in LABELS]
    writer = csv.DictWriter(buf, fieldnames=keys, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(history)
    return buf.getvalue()


def model_card(cfg: Config, result: dict) -> str:
    """The README of a fine-tuned model directory: base, head, data, dev split and scores, how to reproduce."""
    base = (
        f"`{cfg.model.base}`"
        if result["base_trained"]
        else f"**untrained**: a {cfg.model.scratch.layers}-layer, {cfg.model.scratch.hidden}-hidden BERT with random "
        "weights over the project's own character vocabulary. It was never pretrained, so these scores show what "
        "the gold data alone teaches; expect much lower scores on unseen news than a pretrained encoder gives."
    )
    a = result["alignment"]
    sources = ", ".join(
        [
            *cfg.data.train,
            *cfg.data.extra,
            *(
                f"{t.path} (transfer, partial: {t.partial}" + (f", weight {t.weight:g})" if t.weight != 1 else ")")
                for t in cfg.data.transfer
            ),
        ]
    )
    return f"""# zh-industry-ner model: {cfg.name}

Token classification (BIO over characters) for ORG, LOC, METRIC, HONOR in Chinese industrial news.

- Base encoder: {base}
- Head: {cfg.model.head}; tagging scheme: {cfg.data.scheme}; at prediction time: METRIC rules
  {cfg.model.rules}, HONOR rules {cfg.model.honor_rules}, word edges {cfg.model.word_edges}, lexicon of the
  training mentions {cfg.model.lexicon} (lexicon.json)
  (the dev scores below are the model's alone)
- Windows: {cfg.model.max_length} tokens, stride {cfg.model.stride}
- Training data: {sources} ({result["train_sentences"]} sentences)
- Dev split: {result["dev_split"]} ({result["dev_sentences"]} dev sentences); best epoch {result["best_epoch"]}
- Alignment: {a["aligned"]} of {a["spans"]} gold spans aligned to tokens
- Trained in {result["seconds"]} s on {result["device"]}

## Dev scores (strict entity match, seqeval IOB2; {result["dev_sentences"]} sentences: wide uncertainty)

```
{render(result["dev"])}
```

## Reproduce

```sh
{result["command"]}
```

The resolved config is in `zhner.json`; per-epoch metrics in `metrics.json` and `metrics.csv`.
Load with `from zhner import Extractor; Extractor.load(DIR)` or
`transformers.pipeline("token-classification", model=DIR)`.
"""


def encoder_card(cfg: PretrainConfig, state: dict, held: float, device: torch.device, bf16: bool, command: str) -> str:
    """The README of a pretrained encoder directory: architecture, corpus, tokens, held-out loss, hardware."""
    s = cfg.model.scratch
    arch = (
        f"{s.layers} layers x {s.hidden} hidden, from scratch"
        + (f", word embeddings initialised from {cfg.model.embeddings}" if cfg.model.embeddings else "")
        if cfg.model.init == SCRATCH
        else f"from {cfg.model.init}"
    )
    steps = f"{state['step']:,} steps of {cfg.training.batch_size} packed blocks of {cfg.data.block_size}"
    history = [(h["step"], h["tokens"], round(h["heldout_loss"], 3)) for h in state["history"][-10:]]
    corpus = ", ".join(cfg.data.inputs) or "-"
    if cfg.data.blocks:
        corpus = f"packed blocks in {cfg.data.blocks} (a cache built from the corpus inputs elsewhere)"
    hardware = torch.cuda.get_device_name(device) if device.type == "cuda" else device.type
    return f"""# Pretrained encoder: {cfg.name}

BERT masked-language model ({arch}) over the project's character vocabulary, for `model.base` in `zhner train`.

- Corpus inputs: {corpus} (lines deduplicated; {cfg.data.holdout:.1%} held out by hash)
- Tokens seen: {state["tokens"]:,} in {steps}
- Held-out MLM loss: {held:.3f} (perplexity {math.exp(min(held, 50)):.1f}) over the masked positions
- Hardware: {hardware}{", bf16 autocast" if bf16 else ""}; {state["seconds"] / 60:.1f} minutes of pretraining
- Reproduce: `{command or "zhner train pretrain --config <config>"}` (add `--resume` to continue)

History (step, tokens, held-out loss): {history}
"""
