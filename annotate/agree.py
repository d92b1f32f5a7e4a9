"""Agreement between two annotations of the same sentences.

Span agreement treats A as the reference: a span of B is a true positive when
A has the identical ``(start, end, label)``. Cohen's kappa is computed over
characters, each character labelled with the label of the span covering it
or ``O``, with chance agreement from the two annotators' label frequencies.
"""

from __future__ import annotations

from collections import Counter

from zhner.annotate.gold import Record
from zhner.annotate.schema import LABELS, Span
from zhner.annotate.scores import row


def _prf(tp: int, n_ref: int, n_hyp: int) -> dict[str, float]:
    """The strict scorer's row (:func:`annotate.scores.row`), A as gold and B as prediction; P, R, F1, support."""
    scores = row(tp, n_ref, n_hyp)
    return {k: scores[k] for k in ("precision", "recall", "f1", "support")}


def _char_labels(text: str, spans: list[Span]) -> list[str]:
    out = ["O"] * len(text)
    for s in spans:
        out[s.start : s.end] = [s.label] * (s.end - s.start)
    return out


def agreement(a: list[Record], b: list[Record]) -> dict:
    """Span P/R/F1 per label and micro (A as reference), character kappa, and every disagreement.

    Both lists must hold the same ids with the same texts; otherwise ValueError names the first difference.
    """
    by_id = {r.id: r for r in b}
    missing = [r.id for r in a if r.id not in by_id]
    extra = sorted(set(by_id) - {r.id for r in a})
    if missing or extra:
        raise ValueError(f"the files hold different sentences: only in A {missing[:5]}, only in B {extra[:5]}")
    tp: Counter[str] = Counter()
    n_a: Counter[str] = Counter()
    n_b: Counter[str] = Counter()
    pairs: Counter[tuple[str, str]] = Counter()
    disagreements = []
    for ra in a:
        rb = by_id[ra.id]
        if ra.text != rb.text:
            raise ValueError(f"sentence {ra.id!r} has different texts in the two files")
        sa, sb = set(ra.entities), set(rb.entities)
        for s in sa:
            n_a[s.label] += 1
        for s in sb:
            n_b[s.label] += 1
        for s in sa & sb:
            tp[s.label] += 1
        only_a, only_b = sorted(sa - sb), sorted(sb - sa)
        if only_a or only_b:
            disagreements.append(
                {
                    "id": ra.id,
                    "text": ra.text,
                    "only_a": [[*s.to_list(), s.text_in(ra.text)] for s in only_a],
                    "only_b": [[*s.to_list(), s.text_in(ra.text)] for s in only_b],
                }
            )
        pairs.update(zip(_char_labels(ra.text, ra.entities), _char_labels(rb.text, rb.entities)))
    labels = [*LABELS, *sorted((set(n_a) | set(n_b)) - set(LABELS))]
    per_label = {lab: _prf(tp[lab], n_a[lab], n_b[lab]) for lab in labels}
    micro = _prf(sum(tp.values()), sum(n_a.values()), sum(n_b.values()))
    return {
        "sentences": len(a),
        "per_label": per_label,
        "micro": micro,
        "kappa": cohen_kappa(pairs),
        "disagreements": disagreements,
    }


def cohen_kappa(pairs: Counter[tuple[str, str]]) -> float:
    """Cohen's kappa from counts of (label by A, label by B) pairs.

    >>> round(cohen_kappa(Counter({("O", "O"): 8, ("LOC", "LOC"): 1, ("O", "LOC"): 1})), 3)
    0.615
    """
    n = sum(pairs.values())
    if not n:
        return 1.0
    observed = sum(c for (x, y), c in pairs.items() if x == y) / n
    fa: Counter[str] = Counter()
    fb: Counter[str] = Counter()
    for (x, y), c in pairs.items():
        fa[x] += c
        fb[y] += c
    expected = sum(fa[k] * fb[k] for k in fa) / (n * n)
    return 1.0 if expected == 1 else (observed - expected) / (1 - expected)


def render(result: dict) -> str:
    lines = [f"{'label':<8}{'P':>7}{'R':>7}{'F1':>7}{'n(A)':>7}"]
    rows = {**result["per_label"], "micro": result["micro"]}
    for label, m in rows.items():
        lines.append(f"{label:<8}{m['precision']:>7.3f}{m['recall']:>7.3f}{m['f1']:>7.3f}{m['support']:>7}")
    lines.append(f"character kappa: {result['kappa']:.3f} over {result['sentences']} sentences")
    lines.append(f"{len(result['disagreements'])} sentence(s) with disagreements")
    for d in result["disagreements"]:
        lines.append(f"- {d['id']}: {d['text']}")
        for s, e, lab, surf in d["only_a"]:
            lines.append(f"    only A: [{s}, {e}) {lab} {surf}")
        for s, e, lab, surf in d["only_b"]:
            lines.append(f"    only B: [{s}, {e}) {lab} {surf}")
    return "\n".join(lines)
