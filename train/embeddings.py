"""Word vectors into an encoder's embeddings: the word2vec text reader and the initialisation.

Shared by :mod:`train.vectors` (which trains the vectors) and :mod:`train.pretrain`
(whose ``model.embeddings`` starts a scratch encoder from them), so neither imports the other.

:func:`init_embeddings` copies the vectors into a BERT's word embeddings: the
matrix is centred and scaled to the encoder's ``initializer_range``, so that
only the geometry (which characters are alike) changes, not the scale the rest
of the network starts from. Tokens without a vector keep their random row.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def read_vectors(path: str | Path) -> dict[str, np.ndarray]:
    """Vectors of a word2vec text file (a header line "count dimensions", then "token v1 v2 ...")."""
    path = Path(path)
    vectors: dict[str, np.ndarray] = {}
    with open(path, encoding="utf-8") as fh:
        header = fh.readline().split()
        if len(header) != 2 or not all(x.isdigit() for x in header):
            raise ValueError(f"{path}:1: not a word2vec text file (expected a header 'count dimensions')")
        dims = int(header[1])
        for lineno, line in enumerate(fh, start=2):
            parts = line.rstrip("\n").rsplit(" ", dims)
            if len(parts) != dims + 1:
                raise ValueError(f"{path}:{lineno}: expected a token and {dims} numbers, got {len(parts) - 1} fields")
            vectors[parts[0]] = np.asarray(parts[1:], dtype=np.float32)
    return vectors


def init_embeddings(model, tokenizer, path: str | Path) -> int:
    """Copy the vectors of ``path`` into ``model``'s word embeddings (centred, scaled); returns rows set."""
    import torch

    vectors = read_vectors(path)
    emb = model.get_input_embeddings().weight
    if vectors and len(next(iter(vectors.values()))) != emb.shape[1]:
        dims = len(next(iter(vectors.values())))
        raise ValueError(f"{path}: vectors of {dims} dimensions, but the encoder's hidden size is {emb.shape[1]}")
    vocab = tokenizer.get_vocab()
    rows = [(vocab[t], v) for t, v in vectors.items() if t in vocab]
    if not rows:
        return 0
    ids = torch.tensor([i for i, _ in rows])
    mat = torch.from_numpy(np.stack([v for _, v in rows]))
    mat = mat - mat.mean(dim=0)
    mat = mat / mat.std() * model.config.initializer_range
    with torch.no_grad():
        emb[ids] = mat.to(emb.dtype)
    return len(rows)
