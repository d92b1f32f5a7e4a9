"""train.metrics: training's dev scores are the rows of the one span scorer (annotate.scores.prf, which
tests/evaluation/test_metrics.py checks against seqeval's strict IOB2 mode, what training used before)."""

from __future__ import annotations

import pytest
from zhner.annotate.schema import LABELS, Span
from zhner.annotate.scores import prf
from zhner.train.metrics import KEYS, render, strict_scores

L, G = "LOC", "ORG"


@pytest.mark.parametrize(
    ("gold", "pred"),
    [
        ([[Span(0, 2, L)]], [[Span(0, 2, L)]]),
        ([[Span(0, 2, L), Span(3, 5, G)]], [[Span(0, 2, L), Span(3, 6, G)]]),
        ([[]], [[]]),  # no entity anywhere: zeros (seqeval's macro was NaN here)
    ],
)
def test_metrics_strict_scores_are_the_scorers_rows(gold, pred) -> None:
    ours, rows = strict_scores(gold, pred), prf(gold, pred)
    assert list(ours) == [*LABELS, "micro", "macro"]
    assert all(ours[k] == {m: rows[k][m] for m in KEYS} for k in ours)


def test_metrics_render_lists_every_row() -> None:
    text = render(strict_scores([[Span(0, 2, "LOC")]], [[Span(0, 2, "LOC")]]))
    assert text.splitlines()[0].split() == ["label", "P", "R", "F1", "gold"]
    assert "LOC        100.0   100.0   100.0      1" in text and len(text.splitlines()) == 1 + len(LABELS) + 2
