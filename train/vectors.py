"""Character vectors for a cheap start: word2vec or fastText over the pretraining corpus (gensim).

    zhner train vectors --config configs/pretrain-mini.yaml --output runs/char-vectors.txt
    zhner train pretrain --config configs/pretrain-mini.yaml --set model.embeddings=runs/char-vectors.txt

The vectors are trained on the same packed blocks that pretraining reads (the
block cache of the pretraining config, built if missing), one token a word and
each corpus line a sentence, with ``vector_size`` = the encoder's hidden size.
They are written in the plain word2vec text format, so pretraining reads them
without gensim; gensim (``pip install -e ".[vectors]"``) is only needed here.

Reading them back into an encoder (:func:`read_vectors`, :func:`init_embeddings`)
is :mod:`train.embeddings`, which pretraining imports too; both are re-exported here.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from zhner.train.embeddings import init_embeddings, read_vectors

__all__ = ["BlockSentences", "VectorsSettings", "init_embeddings", "read_vectors", "train_vectors"]
log = logging.getLogger("zhner.vectors")


@dataclass
class VectorsSettings:
    method: str = "word2vec"  # word2vec (skip-gram) or fasttext
    epochs: int = 1
    window: int = 5
    min_count: int = 5
    workers: int = 2


class BlockSentences:
    """Restartable iterable over packed blocks as token strings, cut at [CLS]/[SEP] (gensim reads it per epoch)."""

    def __init__(self, blocks: np.ndarray, tokens: np.ndarray, stops: set[int], chunk: int = 4096) -> None:
        self.blocks, self.tokens, self.stops, self.chunk = blocks, tokens, stops, chunk

    def __iter__(self) -> Iterator[list[str]]:
        for i in range(0, len(self.blocks), self.chunk):
            rows = np.asarray(self.blocks[i : i + self.chunk])
            for row in rows:
                sentence: list[str] = []
                for tid in row.tolist():
                    if tid in self.stops:
                        if len(sentence) > 1:
                            yield sentence
                        sentence = []
                    else:
                        sentence.append(self.tokens[tid])
                if len(sentence) > 1:
                    yield sentence


def train_vectors(cfg, output: str | Path, settings: VectorsSettings | None = None) -> dict:
    """Train character vectors on ``cfg``'s pretraining corpus and write them to ``output`` (word2vec text)."""
    # imported here, not at the top: `zhner train vectors --help` reads VectorsSettings without torch
    from zhner.train.config import ConfigError
    from zhner.train.pretrain import build_blocks, build_model

    try:
        from gensim.models import FastText, Word2Vec
    except ImportError as e:
        raise ConfigError('zhner train vectors needs gensim: pip install -e ".[vectors]"') from e
    s = settings or VectorsSettings()
    models = {"word2vec": Word2Vec, "fasttext": FastText}
    if s.method not in models:
        raise ConfigError(f"vectors method {s.method!r}: choose one of {sorted(models)}")
    model, tokenizer = build_model(cfg)
    hidden = model.config.hidden_size
    del model
    train_blocks, _ = build_blocks(cfg, tokenizer)
    vocab = tokenizer.convert_ids_to_tokens(list(range(len(tokenizer))))
    tokens = np.array(vocab, dtype=object)
    stops = {tokenizer.cls_token_id, tokenizer.sep_token_id, tokenizer.pad_token_id}
    sentences = BlockSentences(train_blocks, tokens, stops)
    log.info(
        "%s vectors over %d blocks, %d epoch(s) (about 3 minutes an epoch per 30 M tokens on 2 cores)",
        s.method,
        len(train_blocks),
        s.epochs,
    )
    logging.getLogger("gensim").setLevel(logging.WARNING)  # its per-second progress lines drown the terminal
    t0 = time.time()
    w2v = models[s.method](
        sentences=sentences,
        vector_size=hidden,
        window=s.window,
        min_count=s.min_count,
        sg=1,
        epochs=s.epochs,
        workers=s.workers,
        seed=cfg.training.seed,
    )
    out = Path(output)
    out.parent.mkdir(parents=True, exist_ok=True)
    w2v.wv.save_word2vec_format(str(out))
    seconds = time.time() - t0
    log.info("%s: %d vectors of %d dimensions in %.1f minutes", out, len(w2v.wv), hidden, seconds / 60)
    return {"output": str(out), "vectors": len(w2v.wv), "dimensions": hidden, "seconds": seconds}
