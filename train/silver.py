"""Silver data: unlabelled sentences labelled by an offline tagger plus the METRIC rules.

    zhner train silver --tagger lac --input ../shared/corpus/text --output .cache/silver/lac.jsonl --limit 20000

Writes JSONL in the gold format, each line marked ``"source": "silver"`` with
``"annotated"``: the labels the silver labels cover (the tagger's ORG/LOC and,
with the rules, METRIC; never HONOR). Training reads it as a transfer source
(``format: gold``, ``partial: exclude``), so its missing HONOR teaches nothing
against HONOR. Silver derived from ``../shared/corpus`` stays outside the
repository (default output under ``.cache/``).

Before writing, the tagger is run on the project's gold sentences and scored
against them, label by label, with its boundary disagreements listed: how its
conventions differ from the annotation spec (``--gold``).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from zhner.annotate.gold import Record, dumps
from zhner.annotate.schema import Span, merge
from zhner.models.rules import metric_rules
from zhner.models.taggers import Tagger

log = logging.getLogger("zhner.silver")


def silver_spans(text: str, tagger: Tagger, rules: bool = True) -> list[Span]:
    """The tagger's ORG/LOC spans, plus METRIC rule spans that overlap none of them."""
    spans = tagger(text)
    return merge(spans, metric_rules(text)) if rules else sorted(spans)


def silver_records(lines: Iterable[str], tagger: Tagger, name: str, rules: bool = True) -> Iterator[Record]:
    annotated = ["LOC", "ORG", *(["METRIC"] if rules else [])]
    for text in lines:
        digest = hashlib.blake2b(text.encode("utf-8"), digest_size=6).hexdigest()
        meta = {"source": "silver", "tagger": name, "annotated": annotated}
        yield Record(f"silver-{digest}", text, silver_spans(text, tagger, rules), meta)


def sentence_records(lines: Iterable[str]) -> Iterator[Record]:
    """Unlabelled sentences as JSONL records ``{"id", "text", "entities": []}``, for a trained model to label.

    The teacher route of issue #19: ``zhner predict --model DIR`` labels them (its default output, all four
    labels, in the gold format), and the small network trains on them as a transfer source plus the gold.
    Prediction lives in ``inference/``, which training may not import (../shared/architecture.md).
    """
    for text in lines:
        digest = hashlib.blake2b(text.encode("utf-8"), digest_size=6).hexdigest()
        yield Record(f"silver-{digest}", text, [], {"source": "silver"})


def excluded_lines(records: Iterable[Record]) -> tuple[set[tuple[str, int]], set[str]]:
    """The corpus lines (file name, 1-based line) of standoff gold, and the gold texts: silver never holds them."""
    lines = {(r.meta["source"], r.meta["line"]) for r in records if "line" in r.meta and "source" in r.meta}
    return lines, {r.text for r in records}


def sentences(
    paths: Sequence[str],
    min_chars: int = 8,
    max_chars: int = 200,
    exclude: tuple[set[tuple[str, int]], set[str]] = (set(), set()),
) -> Iterator[str]:
    """Sentences of plain-text files or folders (one paragraph a line), cut at 。！？; deduplicated.

    ``exclude`` (from :func:`excluded_lines`) drops whole lines by (file name, line number) and any
    sentence equal to a gold text, so that no evaluation sentence reaches silver training data.
    """
    import re

    skip_lines, skip_texts = exclude
    seen: set[bytes] = set()
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            files += sorted(f for f in p.rglob("*.txt"))
        elif p.is_file():
            files.append(p)
        else:
            raise FileNotFoundError(f"silver input {p} does not exist")
    for f in files:
        with open(f, encoding="utf-8") as fh:
            for number, line in enumerate(fh, 1):
                if (f.name, number) in skip_lines:
                    continue
                for sent in re.findall(r"[^。！？!?]*[。！？!?]?", line.strip()):
                    sent = sent.strip()
                    if not (min_chars <= len(sent) <= max_chars) or sent in skip_texts:
                        continue
                    key = hashlib.blake2b(sent.encode("utf-8"), digest_size=12).digest()
                    if key not in seen:
                        seen.add(key)
                        yield sent


def write_silver(records: Iterable[Record], output: str | Path, limit: int = 0) -> dict:
    out = Path(output)
    out.parent.mkdir(parents=True, exist_ok=True)
    counts: Counter[str] = Counter()
    tmp = out.with_name(out.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        for rec in records:
            fh.write(dumps(rec) + "\n")
            counts["sentences"] += 1
            counts.update(s.label for s in rec.entities)
            if limit and counts["sentences"] >= limit:
                break
    tmp.replace(out)
    return dict(counts)


def compare_with_gold(gold: Sequence[Record], tagger: Tagger, rules: bool = True, examples: int = 12) -> dict:
    """Strict P/R/F1 per label of the silver labeller on gold sentences, and its boundary disagreements."""
    labels = ["ORG", "LOC", *(["METRIC"] if rules else [])]
    tp: Counter[str] = Counter()
    n_gold: Counter[str] = Counter()
    n_pred: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    shown: list[dict] = []
    for rec in gold:
        g = {s for s in rec.entities if s.label in labels}
        p = set(silver_spans(rec.text, tagger, rules))
        n_gold.update(s.label for s in g)
        n_pred.update(s.label for s in p)
        tp.update(s.label for s in g & p)
        for s in sorted(p - g):
            same = [x for x in g if x.overlaps(s) and x.label == s.label]
            other = [x for x in g if x.overlaps(s) and x.label != s.label]
            kind = "boundary" if same else "type" if other else "spurious"
            kinds[f"{s.label} {kind}"] += 1
            if kind == "boundary" and len(shown) < examples:
                shown.append({"id": rec.id, "silver": s.text_in(rec.text), "gold": same[0].text_in(rec.text)})
        for s in sorted(g):
            if not any(x.overlaps(s) for x in p):
                kinds[f"{s.label} missed"] += 1
    scores = {}
    for lab in labels:
        prec = tp[lab] / n_pred[lab] if n_pred[lab] else 0.0
        rec_ = tp[lab] / n_gold[lab] if n_gold[lab] else 0.0
        f1 = 2 * prec * rec_ / (prec + rec_) if prec + rec_ else 0.0
        scores[lab] = {"precision": prec, "recall": rec_, "f1": f1, "gold": n_gold[lab], "predicted": n_pred[lab]}
    return {"scores": scores, "disagreements": dict(sorted(kinds.items())), "boundary_examples": shown}


def render_comparison(result: dict, name: str) -> str:
    lines = [f"{name} + METRIC rules against the gold (strict spans):", "label  P     R     F1    gold  predicted"]
    for lab, s in result["scores"].items():
        lines.append(
            f"{lab:<6} {100 * s['precision']:5.1f} {100 * s['recall']:5.1f} {100 * s['f1']:5.1f} "
            f"{s['gold']:5d} {s['predicted']:9d}"
        )
    lines.append("disagreements: " + json.dumps(result["disagreements"], ensure_ascii=False))
    for ex in result["boundary_examples"]:
        lines.append(f"  boundary {ex['id']}: silver {ex['silver']!r} vs gold {ex['gold']!r}")
    return "\n".join(lines)
