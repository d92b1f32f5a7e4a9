"""Base encoders: where a model starts from, and the one-sentence failure when it cannot be found.

``model.base`` in a config is one of:

- ``scratch``: a small BERT with *random* weights over the project's own
  character vocabulary (:mod:`models.vocab`); sizes from ``model.scratch``.
  Nothing is downloaded, and every report says plainly that it is untrained.
- a local directory holding a Hugging Face checkpoint (config.json, weights,
  tokenizer files);
- a hub name such as ``bert-base-chinese``: used from the local Hugging Face
  cache if it is there, downloaded only if the hub can be reached.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path

import torch
from transformers import AutoConfig, AutoModelForTokenClassification, AutoTokenizer, BertConfig

SCRATCH = "scratch"


class BaseModelError(RuntimeError):
    """A base model that cannot be loaded; the message is one sentence saying what to do."""


@dataclass
class ScratchSize:
    """Size of the randomly initialised BERT used when ``model.base`` is ``scratch``."""

    layers: int = 4
    hidden: int = 256
    heads: int = 4
    intermediate: int = 1024
    max_position: int = 512


def _hub_reachable(timeout: float = 3.0) -> bool:
    if os.environ.get("HF_HUB_OFFLINE", "0") not in ("0", "", "false", "False"):
        return False
    try:
        with socket.create_connection(("huggingface.co", 443), timeout=timeout):
            return True
    except OSError:
        return False


def resolve(base: str) -> str:
    """A loadable location for ``base``: the directory itself, a cached hub name, or a reachable hub name."""
    if base == SCRATCH or Path(base).is_dir():
        return base
    if Path(base).suffix or base.startswith((".", "/", "~")):
        raise BaseModelError(f"base model directory {base!r} does not exist; fix model.base in the config.")
    try:
        AutoConfig.from_pretrained(base, local_files_only=True)
        return base
    except (OSError, ValueError):
        pass
    if not _hub_reachable():
        raise BaseModelError(
            f"base model {base!r} is not a local directory and not in the Hugging Face cache, and the hub "
            f"is unreachable from here: download it where there is network (e.g. `hf download {base} "
            f"--local-dir models/{base.split('/')[-1]}`), copy it here and set model.base to that directory."
        )
    return base


def load_tokenizer(base: str, max_length: int = 512):
    """The fast tokenizer of ``base`` (the project's own for ``scratch``)."""
    if base == SCRATCH:
        from models.vocab import build_tokenizer

        return build_tokenizer(max_length)
    tok = AutoTokenizer.from_pretrained(resolve(base))
    if not tok.is_fast:
        raise BaseModelError(f"base model {base!r} has no fast tokenizer (tokenizer.json); the alignment needs one.")
    return one_piece_per_character(tok)


def one_piece_per_character(tok):
    """A SentencePiece-style tokenizer (Metaspace "▁", e.g. the converted e5) made to give each pre-split
    character its own piece: without this every character becomes "▁" + the character, and the label lands
    on the "▁". Other tokenizers (WordPiece BERTs, the project's own) are returned unchanged."""
    from tokenizers import pre_tokenizers

    pre = tok.backend_tokenizer.pre_tokenizer
    if type(pre).__name__ == "Metaspace":
        tok.backend_tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="never")
    return tok


def build_token_classifier(
    base: str,
    labels: list[str],
    scratch: ScratchSize,
    vocab_size: int,
    head: str = "softmax",
    scheme: str = "bio",
    dropout: float | None = None,
):
    """A token-classification model with ``labels`` and ``head`` on top of ``base``; returns (model, trained).

    ``dropout`` (hidden and attention) replaces the checkpoint's own when given: an encoder pretrained
    without dropout for long can be fragile under it (the GPU-pretrained encoder, README).
    """
    drop = {} if dropout is None else {"hidden_dropout_prob": dropout, "attention_probs_dropout_prob": dropout}
    from models.heads import get_head

    cls = get_head(head)
    id2label = dict(enumerate(labels))
    label2id = {lab: i for i, lab in id2label.items()}
    if base == SCRATCH:
        config = BertConfig(
            vocab_size=vocab_size,
            hidden_size=scratch.hidden,
            num_hidden_layers=scratch.layers,
            num_attention_heads=scratch.heads,
            intermediate_size=scratch.intermediate,
            max_position_embeddings=scratch.max_position,
            id2label=id2label,
            label2id=label2id,
            tagging_scheme=scheme,
            **drop,
        )
        model = cls.from_config(config) if cls is AutoModelForTokenClassification else cls(config)
        return model, False
    where = resolve(base)
    config = AutoConfig.from_pretrained(where, num_labels=len(labels), id2label=id2label, label2id=label2id, **drop)
    config.tagging_scheme = scheme  # read by the CRF head
    # fp32 whatever the checkpoint's storage dtype (a snapshot kept in git is fp16). transformers' loading
    # report (MLM weights unused, a fresh classifier) is the expected case for an encoder: not shown.
    from transformers.utils import logging as hf_logging

    level = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    try:
        model = cls.from_pretrained(where, config=config, ignore_mismatched_sizes=True, dtype=torch.float32)
    finally:
        hf_logging.set_verbosity(level)
    return model, True
