"""The pretraining config: its own sections, read and checked like a fine-tuning config (train.config)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from zhner.models.base import ScratchSize
from zhner.train.config import ConfigError, _build, read_values


@dataclass
class PretrainModel:
    init: str = "scratch"  # scratch, a local directory or a cached hub name
    scratch: ScratchSize = field(default_factory=ScratchSize)
    dropout: float = 0.0  # during pretraining (no dropout: +60% speed); the saved encoder gets 0.1 for fine-tuning
    attention: str = "eager"  # attention kernel: eager measured faster than sdpa for short blocks on CPU
    embeddings: str = ""  # scratch only: word2vec text file to initialise the word embeddings (train.vectors)


@dataclass
class PretrainData:
    inputs: list[str] = field(default_factory=list)  # files or folders: .txt, .jsonl, .json (CLUENER), .bio
    block_size: int = 128  # tokens per packed block, [CLS] and [SEP] included
    holdout: float = 0.005  # share of lines held out for perplexity
    cache_dir: str = ".cache/pretrain"  # tokenised blocks, keyed by inputs and tokenizer
    max_lines: int = 0  # use at most this many lines (0: all); for quick tests
    blocks: str = ""  # a folder of packed blocks (train.npy, heldout.npy) from a cache: inputs are then not read
    whole_word: bool = False  # mask whole words (jieba segmentation, stored beside the blocks); needs jieba


@dataclass
class PretrainTraining:
    max_tokens: int = 100_000_000  # stop after this many tokens (packed blocks x block_size)
    batch_size: int = 128  # blocks per step
    learning_rate: float = 0.001
    warmup_steps: int = 300
    weight_decay: float = 0.01
    mask_prob: float = 0.15
    bf16: str = "auto"  # auto: CUDA with bf16 support, or a CPU with native bf16 (models.base.BF16_AUTO)
    threads: int = 0  # torch CPU threads (0: default)
    save_minutes: float = 5.0  # checkpoint every this many minutes
    max_minutes: float = 0.0  # stop this run after this many minutes of steps (0: no limit)
    save_fp16: bool = False  # write the encoder's weights in fp16 (half the size; for snapshots kept in git)
    eval_blocks: int = 256  # held-out blocks scored at each checkpoint
    seed: int = 42


@dataclass
class PretrainConfig:
    name: str = "pretrain"
    model: PretrainModel = field(default_factory=PretrainModel)
    data: PretrainData = field(default_factory=PretrainData)
    training: PretrainTraining = field(default_factory=PretrainTraining)


def load_pretrain_config(path: str | Path | None, overrides: list[str] = ()) -> PretrainConfig:
    values = read_values(path, overrides)
    cfg = _build(PretrainConfig, values, "")
    if not cfg.data.inputs and not cfg.data.blocks:
        raise ConfigError("data.inputs: give at least one text file or folder to pretrain on (or data.blocks)")
    return cfg
