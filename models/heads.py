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
from zhner.annotate.schema import Scheme


def _crf() -> type:
    from zhner.models.crf import BertCrfForTokenClassification

    return BertCrfForTokenClassification


# name -> a function giving the class that builds and loads the head (imported only when chosen)
HEADS: dict[str, object] = {"softmax": lambda: AutoModelForTokenClassification, "crf": _crf}


def get_head(name: str):
    """The model class for ``model.head``; an unknown name lists the known ones."""
    if name not in HEADS:
        raise ValueError(f"unknown model head {name!r}; choose one of: {', '.join(sorted(HEADS))}")
    return HEADS[name]()


def crf_scores(model) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(transitions, start, end) of a CRF head as numpy arrays, or None for a softmax head."""
    if not hasattr(model, "crf_transitions"):
        return None
    return (
        model.crf_transitions.detach().float().cpu().numpy(),
        model.crf_start.detach().float().cpu().numpy(),
        model.crf_end.detach().float().cpu().numpy(),
    )


def transition_mask(tags: list[str], scheme: Scheme) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Boolean (allowed start, allowed transition [prev, cur], allowed end) for ``tags``."""
    start = np.array([scheme.allowed("O", t) for t in tags])
    trans = np.array([[scheme.allowed(p, c) for c in tags] for p in tags])
    end = np.array([scheme.allowed_end(t) for t in tags])
    return start, trans, end


def viterbi(logprobs: np.ndarray, tags: list[str], scheme: Scheme, crf=None) -> list[str]:
    """Best tag sequence under the scheme's constraints for scores ``logprobs`` [n, len(tags)].

    With ``crf`` = (transitions, start, end) from a CRF head, its learned scores
    are added (log-softmax and raw emissions give the same path: they differ by
    a constant per position).

    >>> from zhner.annotate.schema import BIO
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
    start_score = np.where(start, 0.0, neg)
    end_score = np.where(end, 0.0, neg)
    if crf is not None:
        trans_score, start_score, end_score = trans_score + crf[0], start_score + crf[1], end_score + crf[2]
    score = logprobs[0] + start_score
    back = np.zeros((n, len(tags)), dtype=np.int64)
    for i in range(1, n):
        cand = score[:, None] + trans_score
        back[i] = cand.argmax(axis=0)
        score = cand.max(axis=0) + logprobs[i]
    score = score + end_score
    best = [int(score.argmax())]
    for i in range(n - 1, 0, -1):
        best.append(int(back[i][best[-1]]))
    return [tags[k] for k in reversed(best)]
