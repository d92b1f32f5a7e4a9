"""Model heads and decoding.

``HEADS`` maps a config's ``model.head`` to the transformers class that
builds it. Decoding turns per-character scores into a tag sequence the
tagging scheme allows: :func:`viterbi` picks the best-scoring *valid*
sequence (no I- after O, no I-ORG after B-LOC), which greedy argmax does not
guarantee.
"""

from __future__ import annotations

import numpy as np
from transformers import AutoModelForTokenClassification

from annotate.schema import Scheme

HEADS: dict[str, type] = {"softmax": AutoModelForTokenClassification}


def get_head(name: str) -> type:
    if name not in HEADS:
        raise ValueError(f"unknown model head {name!r}; choose one of: {', '.join(sorted(HEADS))}")
    return HEADS[name]


def transition_mask(tags: list[str], scheme: Scheme) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Boolean (allowed start, allowed transition [prev, cur], allowed end) for ``tags``."""
    start = np.array([scheme.allowed("O", t) for t in tags])
    trans = np.array([[scheme.allowed(p, c) for c in tags] for p in tags])
    end = np.array([scheme.allowed_end(t) for t in tags])
    return start, trans, end


def viterbi(logprobs: np.ndarray, tags: list[str], scheme: Scheme) -> list[str]:
    """Best tag sequence under the scheme's constraints for scores ``logprobs`` [n, len(tags)].

    >>> from annotate.schema import BIO
    >>> tags = ["O", "B-LOC", "I-LOC"]
    >>> viterbi(np.log(np.array([[0.4, 0.1, 0.5], [0.1, 0.1, 0.8]])), tags, BIO)
    ['B-LOC', 'I-LOC']
    """
    n = len(logprobs)
    if n == 0:
        return []
    start, trans, end = transition_mask(tags, scheme)
    neg = -1e9
    trans_score = np.where(trans, 0.0, neg)
    score = logprobs[0] + np.where(start, 0.0, neg)
    back = np.zeros((n, len(tags)), dtype=np.int64)
    for i in range(1, n):
        cand = score[:, None] + trans_score
        back[i] = cand.argmax(axis=0)
        score = cand.max(axis=0) + logprobs[i]
    score = score + np.where(end, 0.0, neg)
    best = [int(score.argmax())]
    for i in range(n - 1, 0, -1):
        best.append(int(back[i][best[-1]]))
    return [tags[k] for k in reversed(best)]
