"""Dev scores during training: strict entity-level P/R/F1 by seqeval (IOB2, strict mode)."""

from __future__ import annotations

from seqeval.metrics import classification_report
from seqeval.scheme import IOB2

from annotate.schema import LABELS, Span, spans_to_tags


def seqeval_scores(gold: list[list[Span]], pred: list[list[Span]], lengths: list[int]) -> dict:
    """Per-label and micro/macro precision, recall, F1 and support over character BIO tags."""
    y_true = [spans_to_tags(n, g) for g, n in zip(gold, lengths, strict=True)]
    y_pred = [spans_to_tags(n, p) for p, n in zip(pred, lengths, strict=True)]
    report = classification_report(y_true, y_pred, mode="strict", scheme=IOB2, output_dict=True, zero_division=0)
    out: dict = {}
    for label in (*LABELS, "micro avg", "macro avg"):
        row = report.get(label, {"precision": 0.0, "recall": 0.0, "f1-score": 0.0, "support": 0})
        key = label.split()[0] if " " in label else label
        out[key] = {
            "precision": float(row["precision"]),
            "recall": float(row["recall"]),
            "f1": float(row["f1-score"]),
            "support": int(row["support"]),
        }
    return out


def render(scores: dict) -> str:
    lines = [f"{'label':<8}{'P':>8}{'R':>8}{'F1':>8}{'gold':>7}"]
    for label, m in scores.items():
        lines.append(
            f"{label:<8}{100 * m['precision']:>8.1f}{100 * m['recall']:>8.1f}{100 * m['f1']:>8.1f}{m['support']:>7}"
        )
    return "\n".join(lines)
