"""Dev scores during training: strict entity-level P/R/F1 (annotate.scores, equal to seqeval's strict IOB2)."""

from __future__ import annotations

from zhner.annotate.schema import LABELS, Span
from zhner.annotate.scores import prf

KEYS = ("precision", "recall", "f1", "support")  # what training's scores keep of each row


def strict_scores(gold: list[list[Span]], pred: list[list[Span]]) -> dict:
    """Per-label and micro/macro precision, recall, F1 and support over the dev sentences' spans."""
    scores = prf(gold, pred)
    return {label: {k: scores[label][k] for k in KEYS} for label in (*LABELS, "micro", "macro")}


def render(scores: dict) -> str:
    lines = [f"{'label':<8}{'P':>8}{'R':>8}{'F1':>8}{'gold':>7}"]
    for label, m in scores.items():
        lines.append(
            f"{label:<8}{100 * m['precision']:>8.1f}{100 * m['recall']:>8.1f}{100 * m['f1']:>8.1f}{m['support']:>7}"
        )
    return "\n".join(lines)
