"""Exact definitions of the scores in a report, on character spans.

Inputs are parallel lists (one item a sentence) of gold and predicted spans.

- :func:`prf`: strict entity-level precision, recall, F1 (a prediction counts
  only if start, end and label all equal a gold span), per label, micro and
  macro: the project's one span scorer, :mod:`annotate.scores`, which training
  uses too. Tested to agree with seqeval's strict IOB2 mode.
- :func:`schemes`: the four schemes of SemEval-2013 as nervaluate counts them:
  strict (boundary and type), exact (boundary only), partial (overlap, half
  credit for a partial boundary), type (overlap and the right type).
- :func:`confusion`: gold label × predicted label over overlapping spans, plus
  MISSED (gold with no overlapping prediction) and SPURIOUS (the reverse).
- :func:`bootstrap`: 95% intervals for micro and per-label F1 by resampling sentences.
- :func:`errors`: every prediction or gold span that is not a strict match, classified.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
from zhner.annotate.schema import LABELS, Span
from zhner.annotate.scores import Spans, counts, prf, prf_from_counts
from zhner.annotate.scores import f1 as _f1

__all__ = ["bootstrap", "confusion", "counts", "errors", "prf", "prf_from_counts", "schemes"]


def schemes(gold: Sequence[Spans], pred: Sequence[Spans]) -> dict:
    """nervaluate-style counts and scores for the strict, exact, partial and type schemes.

    Each prediction is compared with the gold spans of its sentence: an exact
    boundary match first, else the first overlapping gold span. A gold span no
    prediction touches is missed; a prediction that touches no gold span is spurious.

    >>> r = schemes([[Span(0, 4, "ORG")]], [[Span(0, 2, "ORG")]])
    >>> r["partial"]["precision"], r["type"]["f1"], r["strict"]["f1"]
    (0.5, 1.0, 0.0)
    """
    names = ("strict", "exact", "partial", "type")
    c = {n: Counter() for n in names}
    for g, p in zip(gold, pred, strict=True):
        touched: set[Span] = set()
        for s in p:
            same = [x for x in g if (x.start, x.end) == (s.start, s.end)]
            over = same or [x for x in g if x.overlaps(s)]
            if not over:
                for n in names:
                    c[n]["SPU"] += 1
                continue
            x = over[0]
            touched.add(x)
            bound, typ = bool(same), x.label == s.label
            c["strict"]["COR" if bound and typ else "INC"] += 1
            c["exact"]["COR" if bound else "INC"] += 1
            c["partial"]["COR" if bound else "PAR"] += 1
            c["type"]["COR" if typ else "INC"] += 1
        for n in names:
            c[n]["MIS"] += sum(1 for x in g if x not in touched)
    out = {}
    for n in names:
        k = c[n]
        act = k["COR"] + k["INC"] + k["PAR"] + k["SPU"]
        pos = k["COR"] + k["INC"] + k["PAR"] + k["MIS"]
        hit = k["COR"] + (0.5 * k["PAR"] if n == "partial" else 0.0)
        p = hit / act if act else 0.0
        r = hit / pos if pos else 0.0
        out[n] = {
            **{key: k[key] for key in ("COR", "INC", "PAR", "MIS", "SPU")},
            "precision": p,
            "recall": r,
            "f1": _f1(p, r),
        }
    return out


MISSED, SPURIOUS = "MISSED", "SPURIOUS"


def confusion(gold: Sequence[Spans], pred: Sequence[Spans], labels: Sequence[str] = LABELS) -> dict:
    """``{"rows": [...], "cols": [...], "matrix": [[...]]}``: gold label (rows, + SPURIOUS) × predicted (+ MISSED).

    Each gold span is paired with the overlapping prediction that shares most
    characters with it; every prediction is counted once.
    """
    rows, cols = [*labels, SPURIOUS], [*labels, MISSED]
    m = np.zeros((len(rows), len(cols)), dtype=np.int64)
    for g, p in zip(gold, pred, strict=True):
        used: set[Span] = set()
        for x in g:
            best = max(
                (s for s in p if s.overlaps(x) and s not in used),
                key=lambda s: min(s.end, x.end) - max(s.start, x.start),
                default=None,
            )
            if best is None:
                m[rows.index(x.label), cols.index(MISSED)] += 1
            else:
                used.add(best)
                m[rows.index(x.label), cols.index(best.label)] += 1
        for s in p:
            if s not in used:
                m[rows.index(SPURIOUS), cols.index(s.label)] += 1
    return {"rows": rows, "cols": cols, "matrix": m.tolist()}


def bootstrap(
    gold: Sequence[Spans], pred: Sequence[Spans], *, n: int = 1000, seed: int = 0, labels: Sequence[str] = LABELS
) -> dict:
    """95% percentile intervals of micro F1 and each label's F1, resampling sentences with replacement."""
    c = counts(gold, pred, labels)
    if len(c) == 0:
        return {}
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(c), size=(n, len(c)))
    sums = c[idx].sum(axis=1)  # (n, labels, 3)

    def f1(t: np.ndarray) -> np.ndarray:
        tp, ng, npred = t[..., 0], t[..., 1], t[..., 2]
        p = np.divide(tp, npred, out=np.zeros(tp.shape), where=npred > 0)
        r = np.divide(tp, ng, out=np.zeros(tp.shape), where=ng > 0)
        return np.divide(2 * p * r, p + r, out=np.zeros(tp.shape), where=(p + r) > 0)

    out = {"n": n, "seed": seed}
    micro = f1(sums.sum(axis=1))
    out["micro"] = [float(np.percentile(micro, 2.5)), float(np.percentile(micro, 97.5))]
    per = f1(sums)
    for k, lab in enumerate(labels):
        out[lab] = [float(np.percentile(per[:, k], 2.5)), float(np.percentile(per[:, k], 97.5))]
    return out


def errors(ids: Sequence[str], texts: Sequence[str], gold: Sequence[Spans], pred: Sequence[Spans]) -> list[dict]:
    """Every non-strict-match, as a dict: kind (false positive, false negative, wrong type,
    wrong boundary, wrong type and boundary), sentence id and text, gold and predicted span with surface."""

    def show(s: Span | None, text: str) -> list | None:
        return None if s is None else [s.start, s.end, s.label, s.text_in(text)]

    out = []
    for rid, text, g, p in zip(ids, texts, gold, pred, strict=True):
        gs, ps = set(g), set(p)
        for s in sorted(ps - gs):
            over = [x for x in g if x.overlaps(s) and x not in ps]
            if not over:
                kind, x = "false positive", None
            else:
                x = over[0]
                same_bound = (x.start, x.end) == (s.start, s.end)
                kind = (
                    "wrong type"
                    if same_bound
                    else ("wrong boundary" if x.label == s.label else "wrong type and boundary")
                )
            out.append({"kind": kind, "id": rid, "text": text, "gold": show(x, text), "pred": show(s, text)})
        for x in sorted(gs - ps):
            if not any(s.overlaps(x) for s in ps - gs):
                out.append({"kind": "false negative", "id": rid, "text": text, "gold": show(x, text), "pred": None})
    return out
