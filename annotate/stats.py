"""Counts that describe a gold set: mentions per label, distinct mentions, sentence lengths."""

from __future__ import annotations

import statistics
from collections import Counter

from zhner.annotate.gold import Record
from zhner.annotate.schema import LABELS


def stats(records: list[Record]) -> dict:
    """Per-label mention and distinct-mention counts, sentence and character totals, length quantiles."""
    mentions: Counter[str] = Counter()
    distinct: dict[str, set[str]] = {label: set() for label in LABELS}
    for rec in records:
        for surface, label in rec.mentions():
            mentions[label] += 1
            distinct.setdefault(label, set()).add(surface)
    lengths = sorted(len(r.text) for r in records)
    return {
        "sentences": len(records),
        "characters": sum(lengths),
        "sentences_without_entities": sum(1 for r in records if not r.entities),
        "mentions": {label: mentions[label] for label in distinct},
        "distinct_mentions": {label: len(distinct[label]) for label in distinct},
        "mentions_total": sum(mentions.values()),
        "sentence_length": _quantiles(lengths),
    }


def _quantiles(values: list[int]) -> dict[str, float]:
    if not values:
        return {}

    def q(p: float) -> int:
        return values[min(len(values) - 1, int(p * len(values)))]

    return {
        "min": values[0],
        "p50": q(0.5),
        "p90": q(0.9),
        "max": values[-1],
        "mean": round(statistics.fmean(values), 1),
    }


def render(s: dict) -> str:
    """A small plain-text table of :func:`stats`."""
    lines = [
        f"sentences: {s['sentences']}  characters: {s['characters']}  "
        f"without entities: {s['sentences_without_entities']}",
        f"{'label':<8}{'mentions':>10}{'distinct':>10}",
    ]
    for label, n in s["mentions"].items():
        lines.append(f"{label:<8}{n:>10}{s['distinct_mentions'][label]:>10}")
    lines.append(f"{'total':<8}{s['mentions_total']:>10}")
    if s["sentence_length"]:
        lines.append("sentence length: " + "  ".join(f"{k} {v}" for k, v in s["sentence_length"].items()))
    return "\n".join(lines)
