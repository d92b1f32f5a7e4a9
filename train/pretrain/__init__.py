"""Masked-language-model pretraining of a small Chinese BERT, fast on a CPU and safe to interrupt.

    zhner train pretrain --config configs/pretrain-mini.yaml [--output DIR] [--resume] [--set ...]

- Corpus (:mod:`.corpus`): text files and folders (one paragraph a line), JSONL
  files with a ``text`` field, CLUENER JSON and char/BIO files (their text
  only), and gold JSONL. Lines are deduplicated, a hashed slice is held out for
  perplexity, and the rest is tokenised once with ``datasets`` into packed
  blocks of ``block_size`` tokens (no padding), cached on disk as memory-mapped
  numpy arrays (``train.npy``, ``heldout.npy``); a rerun reuses the cache, and
  ``data.blocks`` trains from such a folder on a machine without the corpus.
- Tokenisation is the fine-tuning one: every character a pre-split word.
- Speed (:mod:`.masking`, :mod:`.loop`): bf16 autocast (CPU or CUDA), the
  output layer computed only at the masked positions, masking done where the
  model runs.
- ``training.max_minutes`` bounds a run by time (a GPU lease): the learning
  rate decays over whichever budget, tokens or minutes, ends first.
- Persistence (:mod:`.checkpoint`): a checkpoint (model, optimizer, step,
  tokens seen) is written atomically every ``save_minutes``; ``--resume``
  continues from it. The output directory's ``model.safetensors`` + tokenizer
  is a usable ``model.base`` for ``zhner train`` at any time; its README is
  :func:`train.card.encoder_card`.
- ``model.init`` (:mod:`.model`): ``scratch`` (random weights over the project
  vocabulary) or any local directory or cached hub name with a BERT checkpoint
  (continued, domain-adaptive pretraining).
- The config (:mod:`.config`) has its own sections, read like a fine-tuning config.
"""

from zhner.train.card import encoder_card
from zhner.train.pretrain.checkpoint import resume_from, save_encoder, save_state
from zhner.train.pretrain.config import (
    PretrainConfig,
    PretrainData,
    PretrainModel,
    PretrainTraining,
    load_pretrain_config,
)
from zhner.train.pretrain.corpus import blocks_folder, build_blocks, corpus_files, iter_lines, load_blocks, load_starts
from zhner.train.pretrain.loop import heldout_loss, pretrain
from zhner.train.pretrain.masking import block_ids, mask_tokens, mlm_loss
from zhner.train.pretrain.model import build_model

__all__ = [
    "PretrainConfig",
    "PretrainData",
    "PretrainModel",
    "PretrainTraining",
    "block_ids",
    "blocks_folder",
    "build_blocks",
    "build_model",
    "corpus_files",
    "encoder_card",
    "heldout_loss",
    "iter_lines",
    "load_blocks",
    "load_pretrain_config",
    "load_starts",
    "mask_tokens",
    "mlm_loss",
    "pretrain",
    "resume_from",
    "save_encoder",
    "save_state",
]
