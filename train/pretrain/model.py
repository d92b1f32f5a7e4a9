"""The encoder pretraining trains: a scratch BERT over the project's vocabulary, or an existing checkpoint."""

from __future__ import annotations

import logging
from pathlib import Path

from transformers import AutoTokenizer, BertForMaskedLM
from zhner.models.base import SCRATCH, resolve, scratch_config
from zhner.models.vocab import build_tokenizer
from zhner.train.config import ConfigError
from zhner.train.embeddings import init_embeddings
from zhner.train.pretrain.config import PretrainConfig

log = logging.getLogger("zhner.pretrain")


def build_model(cfg: PretrainConfig):
    """(BertForMaskedLM, tokenizer) from scratch or from an existing checkpoint."""
    drop = {"hidden_dropout_prob": cfg.model.dropout, "attention_probs_dropout_prob": cfg.model.dropout}
    if cfg.model.init == SCRATCH:
        tokenizer = build_tokenizer()
        config = scratch_config(cfg.model.scratch, len(tokenizer), attn_implementation=cfg.model.attention, **drop)
        model = BertForMaskedLM(config)
        if cfg.model.embeddings:
            if not Path(cfg.model.embeddings).is_file():
                raise ConfigError(f"model.embeddings: {cfg.model.embeddings} does not exist (zhner train vectors)")
            n = init_embeddings(model, tokenizer, cfg.model.embeddings)
            log.info("word embeddings: %d of %d rows from %s", n, len(tokenizer), cfg.model.embeddings)
        return model, tokenizer
    if cfg.model.embeddings:
        raise ConfigError("model.embeddings initialises a scratch encoder only (model.init: scratch)")
    where = resolve(cfg.model.init)
    model = BertForMaskedLM.from_pretrained(where, attn_implementation=cfg.model.attention, **drop)
    return model, AutoTokenizer.from_pretrained(where)
