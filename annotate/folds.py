"""Deterministic k-fold assignment at sentence level.

Fold of a sentence = its position in a seeded shuffle of the sorted ids,
modulo k. The result depends only on the set of ids, k and the seed, never
on file order, so a rerun (or another machine) gets the same folds.
"""

from __future__ import annotations

import random
from collections.abc import Iterable

FOLDS = 5  # the project's k: training's dev fold, `zhner evaluate cv` and `zhner annotate folds`
FOLD_SEED = 13  # the seed of that assignment, everywhere it is made


def assign_folds(ids: Iterable[str], k: int = FOLDS, seed: int = FOLD_SEED) -> dict[str, int]:
    """Map each id to a fold in ``0..k-1``; fold sizes differ by at most one.

    >>> assign_folds(["a", "b", "c", "d"], k=2, seed=0)
    {'c': 0, 'a': 1, 'b': 0, 'd': 1}
    """
    unique = sorted(set(ids))
    if k < 2:
        raise ValueError(f"k must be at least 2, got {k}")
    if len(unique) < k:
        raise ValueError(f"cannot make {k} folds from {len(unique)} sentences")
    random.Random(seed).shuffle(unique)
    return {rid: i % k for i, rid in enumerate(unique)}
