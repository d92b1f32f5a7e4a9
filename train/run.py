"""Fine-tune an encoder for ORG / LOC / METRIC / HONOR on gold JSONL.

    zhner train --config configs/default.yaml [--output DIR] [--set training.epochs=20 ...] [--resume]
    python -m zhner.train --config configs/tiny.yaml
    torchrun --nproc_per_node 2 -m zhner.train --config CONFIG --output DIR     # data-parallel (gloo on CPU)

Stages: config → gold data and dev split → labels → tokenizer and model →
alignment into windows → collator → metrics → Trainer → best model saved
atomically to the output directory with its metrics and model card.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import shutil
import time
from pathlib import Path

import torch
from transformers import (
    DataCollatorForTokenClassification,
    EarlyStoppingCallback,
    PrinterCallback,
    TrainingArguments,
    set_seed,
)
from zhner.annotate import LABELS, SCHEMES
from zhner.models import modeldir
from zhner.models.base import build_token_classifier, load_tokenizer, set_type_vocab, use_bf16
from zhner.models.charfeats import char_features, lac_label_names, lac_labels
from zhner.train.card import history_csv, model_card
from zhner.train.config import Config, ConfigError
from zhner.train.data import (
    Split,
    alignment_report,
    encode_all,
    expand,
    row_weights,
    split_data,
    to_dataset,
    training_lexicon,
)
from zhner.train.trainer import (
    PAD_LABEL,
    AuxCollator,
    MaskedCollator,
    NerTrainer,
    add_aux_head,
    drop_aux_head,
    make_scorer,
)
from zhner.train.transfer import tag_mask

# the stages' pieces, importable from here as before the split into train.data, train.trainer and train.card
__all__ = ["PAD_LABEL", "MaskedCollator", "NerTrainer", "Split", "expand", "make_scorer", "row_weights", "run"]
log = logging.getLogger("zhner.train")


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
    features = char_features(cfg.model.char_features)
    if features is not None and set_type_vocab(model, features.size):
        log.info("char features %s: %d token types", "+".join(cfg.model.char_features), features.size)
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
    train_enc = encode_all(split.train, tokenizer, cfg, label2id, features)
    dev_enc = encode_all(split.dev, tokenizer, cfg, label2id, features)
    alignment = alignment_report(split.train + split.dev, train_enc + dev_enc)
    log.info("alignment: %d of %d gold spans aligned to tokens", alignment["aligned"], alignment["spans"])
    for rid, span, surface, why in alignment["unaligned"]:
        log.warning("unaligned span in %s: %s %r: %s", rid, span, surface, why)
    partial = any(r.meta.get("annotated") not in (None, list(LABELS)) for r in split.train)
    if partial and cfg.model.head != "softmax":
        raise ConfigError("data.transfer with partial: exclude needs model.head: softmax")
    train_masks = [tag_mask(tags, r.meta.get("annotated")) for r in split.train] if partial else None
    dev_masks = [tag_mask(tags, None) for _ in split.dev] if partial else None
    aux = lac_labels([r.text for r in split.train]) if cfg.training.aux_lac else None
    train_ds, dev_ds = to_dataset(train_enc, train_masks, aux), to_dataset(dev_enc, dev_masks)
    if aux is not None:
        add_aux_head(model, len(lac_label_names()))

    # --- collator, metrics, Trainer
    collator = DataCollatorForTokenClassification(tokenizer, pad_to_multiple_of=8)
    if partial:
        collator = MaskedCollator(collator)
    if aux is not None:
        collator = AuxCollator(collator)
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
        bf16=use_bf16(cfg.training.bf16, "train"),  # auto: off (models.base.BF16_AUTO)
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
        aux_weight=cfg.training.aux_lac,
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
            honor_rules=cfg.model.honor_rules,
            word_edges=cfg.model.word_edges,
            lexicon=cfg.model.lexicon,
            char_features=list(cfg.model.char_features),
            lac_spans=cfg.model.lac_spans,
            config=cfg.to_dict(),
        )
        extra = {
            "metrics.json": json.dumps({**result, "epochs": history}, ensure_ascii=False, indent=2) + "\n",
            "metrics.csv": history_csv(history),
            "README.md": model_card(cfg, result),
            "lexicon.json": json.dumps(training_lexicon(split.train), ensure_ascii=False, indent=0) + "\n",
        }
        to_save = trainer.model
        drop_aux_head(to_save)  # training.aux_lac's head: only for training
        if cfg.training.save_fp16:  # half the size, for a checkpoint kept in git; loads back as fp32
            to_save = copy.deepcopy(trainer.model).half()
        modeldir.save(out, to_save, tokenizer, meta, extra)
        shutil.rmtree(work, ignore_errors=True)
        log.info("saved %s (%.0f s)", out, time.time() - t0)
    trainer.accelerator.wait_for_everyone()
    result["output"] = str(out)
    return result


def _best_epoch(history: list[dict]) -> float | None:
    return max(history, key=lambda h: h["eval_f1"])["epoch"] if history else None
