"""Base encoders: where a model starts from, and the one-sentence failure when it cannot be found.

``model.base`` in a config is one of:

- ``scratch``: a small BERT with *random* weights over the project's own
  character vocabulary (:mod:`models.vocab`); sizes from ``model.scratch``.
  Nothing is downloaded, and every report says plainly that it is untrained.
- a local directory holding a Hugging Face checkpoint (config.json, weights,
  tokenizer files);
- a hub name such as ``bert-base-chinese``: used from the local Hugging Face
  cache if it is there, downloaded only if the hub can be reached.

:func:`scratch_config` is the one builder of a scratch encoder's config, for
fine-tuning (:func:`build_token_classifier`) and pretraining alike.

``bf16: auto`` does not mean the same in every stage, on purpose (making it one
would change measured runs); :data:`BF16_AUTO` is its one definition, read by
:func:`use_bf16`:

- fine-tuning (``training.bf16``, train.run): **off**. On an H200
  (transformers 5.17, torch 2.11) bf16 fine-tuning gave NaN gradients in the
  first epoch with the authored sentences, while the same steps outside the
  Trainer stayed finite; the cause is not isolated, and a 4-layer model
  fine-tunes in minutes in fp32 anyway.
- pretraining (``training.bf16`` of a pretraining config, train.pretrain):
  **detect**: bf16 autocast on a CUDA device with bf16 support or a CPU with
  native bf16 (2.6x the tokens/s of fp32 on the 2-core CPU; docs/experiments.md).
- inference (``Extractor(bf16="auto")``): **detect**, :func:`cpu_has_bf16` on a
  CPU; on CUDA it is always on, without asking the device (1.4x the characters/s
  of fp32 on the CPU, the same entities on 98.8 % of texts; docs/experiments.md).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
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


def scratch_config(size: ScratchSize, vocab_size: int, **extra) -> BertConfig:
    """The config of a randomly initialised BERT of ``size`` over ``vocab_size`` tokens; ``extra`` adds
    config keys (labels, dropout, the attention kernel)."""
    return BertConfig(
        vocab_size=vocab_size,
        hidden_size=size.hidden,
        num_hidden_layers=size.layers,
        num_attention_heads=size.heads,
        intermediate_size=size.intermediate,
        max_position_embeddings=size.max_position,
        **extra,
    )


def cpu_has_bf16() -> bool:
    """Whether this CPU computes in bf16 natively (oneDNN's test)."""
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def bf16_supported(device: torch.device) -> bool:
    """Whether ``device`` computes in bf16 natively: a CUDA device with bf16, or a CPU with native bf16."""
    return torch.cuda.is_bf16_supported() if device.type == "cuda" else cpu_has_bf16()


def _never(device: torch.device | None) -> bool:
    return False


def _cuda_or_cpu_bf16(device: torch.device) -> bool:
    return device.type == "cuda" or cpu_has_bf16()


# what ``bf16: auto`` resolves to in each stage, on a given device (the module docstring says why they differ)
BF16_AUTO: dict[str, Callable[[torch.device | None], bool]] = {
    "train": _never,
    "pretrain": bf16_supported,
    "inference": _cuda_or_cpu_bf16,
}


def use_bf16(setting: str, stage: str, device: torch.device | None = None) -> bool:
    """``true``, ``false``, or ``auto`` as :data:`BF16_AUTO` resolves it for ``stage`` on ``device``.

    >>> use_bf16("auto", "train"), use_bf16("true", "train"), use_bf16("auto", "inference", torch.device("cuda"))
    (False, True, True)
    """
    if setting != "auto":
        return setting == "true"
    if stage not in BF16_AUTO:
        raise ValueError(f"unknown stage {stage!r}; choose one of {', '.join(sorted(BF16_AUTO))}")
    return BF16_AUTO[stage](device)


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
    from zhner.models.modeldir import packaged

    if packaged(base).is_dir():  # models/bundled/... from another working directory or an installed wheel
        return str(packaged(base))
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
        from zhner.models.vocab import build_tokenizer

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
    from zhner.models.heads import get_head

    cls = get_head(head)
    id2label = dict(enumerate(labels))
    label2id = {lab: i for i, lab in id2label.items()}
    if base == SCRATCH:
        config = scratch_config(
            scratch, vocab_size, id2label=id2label, label2id=label2id, tagging_scheme=scheme, **drop
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


def set_type_vocab(model, size: int) -> bool:
    """Give the encoder ``size`` token types (:mod:`models.charfeats`), each row a copy of its type-0 row.

    A model that has ``size`` types already (a base trained with the same features) is left as it is;
    returns whether the table was replaced. With every row equal to type 0, the model computes
    exactly what it computed before; fine-tuning learns what each type adds.
    """
    base = getattr(model, model.base_model_prefix)
    table = base.embeddings.token_type_embeddings
    if table.num_embeddings == size:
        return False
    new = torch.nn.Embedding(size, table.embedding_dim, device=table.weight.device, dtype=table.weight.dtype)
    with torch.no_grad():
        new.weight.copy_(table.weight[0].expand(size, -1))
    base.embeddings.token_type_embeddings = new
    model.config.type_vocab_size = size
    return True
