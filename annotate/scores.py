"""Strict entity-level precision, recall and F1 on character spans: the project's one span scorer.

A predicted span counts only if its start, end and label all equal a gold
span of the same sentence. Inputs are parallel lists (one item a sentence) of
gold and predicted spans. Training's dev scores (:mod:`train.metrics`) and
every report (:mod:`evaluation.metrics`) are computed here; the tests check
the results against seqeval's strict IOB2 mode.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from zhner.annotate.schema import LABELS, Span

Spans = Sequence[Span]


def f1(p: float, r: float) -> float:
    """The harmonic mean of a precision and a recall; 0 when both are 0."""
    return 2 * p * r / (p + r) if p + r else 0.0


def row(tp: int, n_gold: int, n_pred: int) -> dict:
    """One row of scores from ``tp`` true positives among ``n_gold`` gold and ``n_pred`` predicted spans."""
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    return {"precision": p, "recall": r, "f1": f1(p, r), "support": n_gold, "predicted": n_pred, "correct": tp}


def counts(gold: Sequence[Spans], pred: Sequence[Spans], labels: Sequence[str] = LABELS) -> np.ndarray:
    """Per sentence and label: [true positives, gold spans, predicted spans]; shape (sentences, labels, 3)."""
    if len(gold) != len(pred):
        raise ValueError(f"gold has {len(gold)} sentences but predictions have {len(pred)}")
    index = {lab: k for k, lab in enumerate(labels)}
    out = np.zeros((len(gold), len(labels), 3), dtype=np.int64)
    for i, (g, p) in enumerate(zip(gold, pred)):
        gs, ps = set(g), set(p)
        for s in gs & ps:
            out[i, index[s.label], 0] += 1
        for s in gs:
            out[i, index[s.label], 1] += 1
        for s in ps:
            out[i, index[s.label], 2] += 1
    return out


def prf_from_counts(total: np.ndarray, labels: Sequence[str] = LABELS) -> dict:
    """Scores from summed counts of shape (labels, 3)."""
    out = {lab: row(*map(int, total[k])) for k, lab in enumerate(labels)}
    out["micro"] = row(*map(int, total.sum(axis=0)))
    present = [lab for lab in labels if out[lab]["support"] or out[lab]["predicted"]]
    macro = {
        m: float(np.mean([out[lab][m] for lab in present])) if present else 0.0 for m in ("precision", "recall", "f1")
    }
    out["macro"] = {
        **macro,
        "support": out["micro"]["support"],
        "predicted": out["micro"]["predicted"],
        "correct": out["micro"]["correct"],
    }
    return out


def prf(gold: Sequence[Spans], pred: Sequence[Spans], *, labels: Sequence[str] = LABELS) -> dict:
    """Strict P/R/F1 per label, ``micro`` and ``macro`` (mean over labels present in gold or predictions).

    >>> g = [[Span(0, 2, "LOC"), Span(3, 5, "ORG")]]
    >>> p = [[Span(0, 2, "LOC"), Span(3, 6, "ORG")]]
    >>> r = prf(g, p)
    >>> r["micro"]["precision"], r["micro"]["recall"], r["LOC"]["f1"], r["ORG"]["f1"]
    (0.5, 0.5, 1.0, 0.0)
    """
    return prf_from_counts(counts(gold, pred, labels).sum(axis=0), labels)
