"""Fine-tune an encoder for ORG / LOC / METRIC / HONOR on gold JSONL.

    zhner train --config configs/default.yaml [--output DIR] [--set training.epochs=20 ...] [--resume]
    python -m train --config configs/tiny.yaml
    torchrun --nproc_per_node 2 -m train --config CONFIG --output DIR     # data-parallel (gloo on CPU)

Stages: config → gold data and dev split → labels → tokenizer and model →
alignment into windows → collator → metrics → Trainer → best model saved
atomically to the output directory with its metrics and model card.
"""

from __future__ import annotations

import copy
import csv
import glob
import io
import json
import logging
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import WeightedRandomSampler
from transformers import (
    DataCollatorForTokenClassification,
    EarlyStoppingCallback,
    PrinterCallback,
    Trainer,
    TrainingArguments,
    set_seed,
)

from annotate import LABELS, SCHEMES, Record, read_many
from annotate.folds import assign_folds
from annotate.standoff import corpus_folder
from models import modeldir
from models.base import build_token_classifier, load_tokenizer
from models.features import Encoded, encode_batch, predict_spans
from models.heads import crf_scores
from models.lexicon import names as lexicon_names
from train.augment import augment, gazetteer_places
from train.config import Config, ConfigError
from train.metrics import render, seqeval_scores
from train.transfer import load_source, tag_mask

log = logging.getLogger("zhner.train")
PAD_LABEL = -100  # what the Trainer pads gathered inputs and predictions with


@dataclass
class Split:
    train: list[Record]
    dev: list[Record]
    description: str


def expand(patterns: list[str]) -> list[str]:
    """File names, with globs expanded (sorted); a pattern that matches nothing is an error."""
    files: list[str] = []
    for pattern in patterns:
        matched = sorted(glob.glob(pattern)) if glob.has_magic(pattern) else [pattern]
        if not matched:
            raise ConfigError(f"no file matches {pattern!r}")
        files += matched
    return files


def split_data(cfg: Config) -> Split:
    """Train and dev sentences: dev files if given, else one fold of the train files.

    ``data.extra`` files are added to training only; augmentation copies are
    made from the training part only, after the dev split.
    """
    corpus = corpus_folder(cfg.data.corpus or None)  # one Corpus: each file is read once for all the lists
    records = read_many(expand(cfg.data.train), corpus=corpus)
    if cfg.data.dev:
        train, dev = records, read_many(expand(cfg.data.dev), corpus=corpus)
        how = f"dev = {', '.join(cfg.data.dev)}"
    else:
        folds = assign_folds([r.id for r in records], cfg.data.folds, cfg.data.fold_seed)
        train = [r for r in records if folds[r.id] != cfg.data.dev_fold]
        dev = [r for r in records if folds[r.id] == cfg.data.dev_fold]
        how = f"dev = fold {cfg.data.dev_fold} of {cfg.data.folds} (seed {cfg.data.fold_seed})"
    if cfg.data.limit:
        train = train[: cfg.data.limit]
    if cfg.data.extra:
        extra = read_many(expand(cfg.data.extra), corpus=corpus)
        clash = {r.id for r in extra} & {r.id for r in records}
        if clash:
            raise ConfigError(f"data.extra repeats ids of data.train, e.g. {sorted(clash)[:3]}")
        train = train + extra
        how += f"; + {len(extra)} extra training sentences"
    for source in cfg.data.transfer:
        try:
            sentences = load_source(source)
        except ValueError as e:
            raise ConfigError(f"data.transfer: {e}") from None
        train = train + sentences
        how += f"; + {len(sentences)} transfer sentences from {source.path} ({source.partial})"
    if cfg.data.augment:
        places = gazetteer_places() if cfg.data.augment_gazetteer else ()
        copies = augment(
            train,
            cfg.data.augment,
            prob=cfg.data.augment_prob,
            width=cfg.data.augment_width,
            seed=cfg.training.seed,
            places=places,
        )
        train = train + copies
        how += f"; + {len(copies)} augmented copies"
    return Split(train, dev, how)


def encode_all(records: list[Record], tokenizer, cfg: Config, label2id: dict[str, int]) -> list[Encoded]:
    return encode_batch(
        tokenizer,
        [r.text for r in records],
        max_length=cfg.model.max_length,
        stride=cfg.model.stride,
        spans=[r.entities for r in records],
        label2id=label2id,
        scheme=SCHEMES[cfg.data.scheme],
    )


def to_dataset(encoded: list[Encoded], masks: list[list[int]] | None = None) -> list[dict]:
    """Windows as rows (a list is a map-style dataset for the Trainer); with ``masks`` (one per sentence),
    each row also carries its ``tag_mask``."""
    rows = []
    for i, e in enumerate(encoded):
        for w in e.windows:
            row = {"input_ids": w.input_ids, "attention_mask": [1] * len(w.input_ids), "labels": w.labels}
            if masks is not None:
                row["tag_mask"] = masks[i]
            rows.append(row)
    return rows


def row_weights(records: list[Record], encoded: list[Encoded]) -> list[float] | None:
    """Each row's sampling weight (its sentence's ``meta["weight"]``, 1 by default); None when all are 1."""
    weights = [float(r.meta.get("weight", 1.0)) for r, e in zip(records, encoded) for _ in e.windows]
    return None if all(w == 1 for w in weights) else weights


class MaskedCollator:
    """DataCollatorForTokenClassification, passing each row's ``tag_mask`` through as a tensor."""

    def __init__(self, base: DataCollatorForTokenClassification) -> None:
        self.base = base

    def __call__(self, features: list[dict]) -> dict:
        masks = [f["tag_mask"] for f in features]
        batch = self.base([{k: v for k, v in f.items() if k != "tag_mask"} for f in features])
        batch["tag_mask"] = torch.tensor(masks, dtype=torch.bool)
        return batch


class NerTrainer(Trainer):
    """The Trainer, plus what mixed sources need.

    - A batch with ``tag_mask`` (partial labels): cross-entropy with the tags a sentence's source
      does not annotate excluded from its softmax.
    - ``sample_weights`` (one per training row): each epoch draws ``round(sum(weights))`` rows with
      replacement, in proportion to their weights (train.transfer, ``weight``).
    """

    def __init__(self, *args, sample_weights: list[float] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.sample_weights = sample_weights

    def _get_train_sampler(self, train_dataset=None):
        if self.sample_weights is None:
            return super()._get_train_sampler(train_dataset)
        generator = torch.Generator().manual_seed(
            self.args.data_seed if self.args.data_seed is not None else self.args.seed
        )
        draws = max(1, round(sum(self.sample_weights)))
        return WeightedRandomSampler(self.sample_weights, draws, replacement=True, generator=generator)

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        if "tag_mask" not in inputs:
            return super().compute_loss(model, inputs, return_outputs, num_items_in_batch)
        inputs = dict(inputs)  # the caller keeps its own view of the batch
        mask = inputs.pop("tag_mask")
        labels = inputs.pop("labels")
        outputs = model(**inputs)
        logits = outputs.logits.float().masked_fill(~mask[:, None, :], -1e4)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.size(-1)), labels.reshape(-1))
        return (loss, outputs) if return_outputs else loss


def alignment_report(records: list[Record], encoded: list[Encoded]) -> dict:
    total = sum(len(r.entities) for r in records)
    bad = [(r.id, s.to_list(), s.text_in(r.text), why) for r, e in zip(records, encoded) for s, why in e.unaligned]
    return {"spans": total, "aligned": total - len(bad), "unaligned": bad}


def make_scorer(
    records: list[Record], encoded: list[Encoded], tags: list[str], scheme_name: str, pad_id: int, model=None
):
    """compute_metrics for the Trainer: window logits → sentence spans → seqeval strict scores.

    Rows are matched to windows by their input ids, not by position: under
    data-parallel evaluation the gathered rows need not come back in dataset
    order. Windows with identical ids get identical logits, so this is exact.
    """
    scheme = SCHEMES[scheme_name]

    def compute(eval_pred) -> dict[str, float]:
        logits = eval_pred.predictions
        logits = logits[0] if isinstance(logits, tuple) else logits
        logp = torch.log_softmax(torch.from_numpy(np.asarray(logits, dtype=np.float32)), dim=-1).numpy()
        by_ids = {}
        for row, ids in zip(logp, np.asarray(eval_pred.inputs)):
            real = np.flatnonzero((ids != PAD_LABEL) & (ids != pad_id))  # the collator pads with pad_id
            by_ids[tuple(ids[: real[-1] + 1].tolist())] = row
        crf = crf_scores(model) if model is not None else None
        preds = []
        for e in encoded:
            window_scores = [by_ids[tuple(w.input_ids)] for w in e.windows]
            preds.append([s for s, _ in predict_spans(e, window_scores, tags, scheme, crf)])
        scores = seqeval_scores([r.entities for r in records], preds, [len(r.text) for r in records])
        flat = {"f1": scores["micro"]["f1"], "precision": scores["micro"]["precision"]}
        flat["recall"] = scores["micro"]["recall"]
        flat.update({f"f1_{lab}": scores[lab]["f1"] for lab in LABELS})
        if torch.distributed.is_available() and torch.distributed.is_initialized():
            # every rank must take the same best-model and early-stopping decisions: use rank 0's scores
            shared = [flat, scores]
            torch.distributed.broadcast_object_list(shared, src=0)
            flat, scores = shared
        compute.last = scores
        return flat

    compute.last = {}
    return compute


def _bf16(setting: str) -> bool:
    """bf16 mixed precision for fine-tuning: only when asked for.

    ``auto`` is fp32: on an H200 (transformers 5.17, torch 2.11) bf16 fine-tuning
    gave NaN gradients in the first epoch with the authored sentences, while the
    same steps outside the Trainer stayed finite; the cause is not isolated, and a
    4-layer model fine-tunes in minutes in fp32 anyway.
    """
    return setting == "true"


def run(
    cfg: Config, *, output: str | Path | None = None, resume: bool = False, command: str = "", progress: bool = True
) -> dict:
    """Train ``cfg``; write the model directory; return the final dev scores and run facts."""
    t0 = time.time()
    out = Path(output or f"runs/{cfg.name}")
    work = out.with_name(out.name + ".checkpoints")
    if cfg.training.threads:
        torch.set_num_threads(cfg.training.threads)
    set_seed(cfg.training.seed)

    # --- gold data and the dev split
    split = split_data(cfg)
    log.info("data: %d train / %d dev sentences (%s)", len(split.train), len(split.dev), split.description)

    # --- labels
    scheme = SCHEMES[cfg.data.scheme]
    tags = scheme.tags(LABELS)
    label2id = {t: i for i, t in enumerate(tags)}

    # --- tokenizer and model
    tokenizer = load_tokenizer(cfg.model.base, cfg.model.max_length)
    model, base_trained = build_token_classifier(
        cfg.model.base, tags, cfg.model.scratch, len(tokenizer), cfg.model.head, cfg.data.scheme, cfg.model.dropout
    )
    if cfg.model.freeze_embeddings:
        model.get_input_embeddings().weight.requires_grad_(False)
    if not base_trained:
        log.warning(
            "base encoder: UNTRAINED (random weights, %d layers x %d hidden): scores show what the gold data "
            "alone teaches, not what a pretrained encoder would reach",
            cfg.model.scratch.layers,
            cfg.model.scratch.hidden,
        )

    # --- alignment: characters as pre-split words, windows for long sentences
    train_enc = encode_all(split.train, tokenizer, cfg, label2id)
    dev_enc = encode_all(split.dev, tokenizer, cfg, label2id)
    alignment = alignment_report(split.train + split.dev, train_enc + dev_enc)
    log.info("alignment: %d of %d gold spans aligned to tokens", alignment["aligned"], alignment["spans"])
    for rid, span, surface, why in alignment["unaligned"]:
        log.warning("unaligned span in %s: %s %r: %s", rid, span, surface, why)
    partial = any(r.meta.get("annotated") not in (None, list(LABELS)) for r in split.train)
    if partial and cfg.model.head != "softmax":
        raise ConfigError("data.transfer with partial: exclude needs model.head: softmax")
    train_masks = [tag_mask(tags, r.meta.get("annotated")) for r in split.train] if partial else None
    dev_masks = [tag_mask(tags, None) for _ in split.dev] if partial else None
    train_ds, dev_ds = to_dataset(train_enc, train_masks), to_dataset(dev_enc, dev_masks)

    # --- collator, metrics, Trainer
    collator = DataCollatorForTokenClassification(tokenizer, pad_to_multiple_of=8)
    if partial:
        collator = MaskedCollator(collator)
    scorer = make_scorer(split.dev, dev_enc, tags, cfg.data.scheme, tokenizer.pad_token_id, model)
    world = int(os.environ.get("WORLD_SIZE", "1"))
    args = TrainingArguments(
        output_dir=str(work),
        num_train_epochs=cfg.training.epochs,
        per_device_train_batch_size=cfg.training.batch_size,
        per_device_eval_batch_size=max(cfg.training.batch_size, 16),
        gradient_accumulation_steps=cfg.training.grad_accum,
        learning_rate=cfg.training.learning_rate,
        weight_decay=cfg.training.weight_decay,
        warmup_steps=cfg.training.warmup_ratio,
        lr_scheduler_type="linear",
        eval_strategy="epoch",
        save_strategy="epoch",
        save_total_limit=2,
        load_best_model_at_end=True,
        metric_for_best_model="f1",
        greater_is_better=True,
        logging_strategy="epoch",
        report_to=[],
        seed=cfg.training.seed,
        data_seed=cfg.training.seed,
        bf16=_bf16(cfg.training.bf16),
        use_cpu=not torch.cuda.is_available(),  # else transformers refuses bf16=true on a CPU
        dataloader_num_workers=0,
        dataloader_pin_memory=torch.cuda.is_available(),
        ddp_backend=None if torch.cuda.is_available() or world == 1 else "gloo",
        save_only_model=False,
        disable_tqdm=not progress,
        include_for_metrics=["inputs"],
        remove_unused_columns=False,  # keep tag_mask for the collator (the datasets hold nothing else extra)
    )
    callbacks = [EarlyStoppingCallback(cfg.training.early_stopping)] if cfg.training.early_stopping else []
    sample_weights = row_weights(split.train, train_enc)
    rows_per_epoch = round(sum(sample_weights)) if sample_weights else len(train_ds)
    if sample_weights:
        log.info("sampling: %d rows drawn per epoch from %d (weights in data.transfer)", rows_per_epoch, len(train_ds))
    trainer = NerTrainer(
        model=model,
        sample_weights=sample_weights,
        args=args,
        train_dataset=train_ds,
        eval_dataset=dev_ds,
        data_collator=collator,
        compute_metrics=scorer,
        callbacks=callbacks,
    )
    if not progress:
        trainer.remove_callback(PrinterCallback)  # with tqdm off, the Trainer would print every log dict instead
    checkpoint = resume and work.is_dir() and any(work.glob("checkpoint-*"))
    if resume and not checkpoint:
        log.warning("--resume: no checkpoint in %s, starting from the beginning", work)
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # no "Writing model shards" bar at every epoch's checkpoint
    try:
        train_output = trainer.train(resume_from_checkpoint=True if checkpoint else None)
    finally:
        hf_logging.enable_progress_bar()

    # --- final dev scores of the best model
    trainer.evaluate()
    scores = scorer.last
    history = [h for h in trainer.state.log_history if "eval_f1" in h]
    result = {
        "name": cfg.name,
        "dev": scores,
        "best_epoch": _best_epoch(history),
        "epochs_run": trainer.state.epoch,
        "alignment": alignment,
        "base_trained": base_trained,
        "train_sentences": len(split.train),
        "dev_sentences": len(split.dev),
        "dev_split": split.description,
        "seconds": round(time.time() - t0, 1),
        "train_runtime": round(train_output.metrics.get("train_runtime", 0.0), 2),
        "train_tokens": sum(len(w.input_ids) for e in train_enc for w in e.windows),
        "rows_per_epoch": rows_per_epoch,
        "device": str(trainer.args.device),
        "command": command or f"zhner train (config {cfg.name})",
    }

    # --- save (rank 0 only; the others wait)
    if trainer.is_world_process_zero():
        meta = modeldir.ModelMeta(
            head=cfg.model.head,
            scheme=cfg.data.scheme,
            max_length=cfg.model.max_length,
            stride=cfg.model.stride,
            base=cfg.model.base,
            base_trained=base_trained,
            rules=cfg.model.rules,
            lexicon=cfg.model.lexicon,
            config=cfg.to_dict(),
        )
        extra = {
            "metrics.json": json.dumps({**result, "epochs": history}, ensure_ascii=False, indent=2) + "\n",
            "metrics.csv": _history_csv(history),
            "README.md": model_card(cfg, result),
            "lexicon.json": json.dumps(training_lexicon(split.train), ensure_ascii=False, indent=0) + "\n",
        }
        to_save = trainer.model
        if cfg.training.save_fp16:  # half the size, for a checkpoint kept in git; loads back as fp32
            to_save = copy.deepcopy(trainer.model).half()
        modeldir.save(out, to_save, tokenizer, meta, extra)
        shutil.rmtree(work, ignore_errors=True)
        log.info("saved %s (%.0f s)", out, time.time() - t0)
    trainer.accelerator.wait_for_everyone()
    result["output"] = str(out)
    return result


def training_lexicon(records: list[Record]) -> dict[str, str]:
    """ORG/LOC/HONOR surfaces (2+ characters) of the real training sentences (no augmented or transfer copies)."""
    real = [r for r in records if r.meta.get("source") != "augmented" and "annotated" not in r.meta]
    return lexicon_names(real)


def _best_epoch(history: list[dict]) -> float | None:
    return max(history, key=lambda h: h["eval_f1"])["epoch"] if history else None


def _history_csv(history: list[dict]) -> str:
    buf = io.StringIO()
    keys = ["epoch", "eval_loss", "eval_f1", "eval_precision", "eval_recall"] + [f"eval_f1_{lab}" for lab in LABELS]
    writer = csv.DictWriter(buf, fieldnames=keys, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(history)
    return buf.getvalue()


def model_card(cfg: Config, result: dict) -> str:
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
  {cfg.model.rules}, lexicon of the training mentions {cfg.model.lexicon} (lexicon.json)
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
Load with `from inference import Extractor; Extractor.load(DIR)` or
`transformers.pipeline("token-classification", model=DIR)`.
"""
