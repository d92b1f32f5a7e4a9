"""Evaluation reports: computed once into a dict, rendered as JSON, Markdown, HTML and PNG plots.

:func:`build` takes the gold records, each system's predictions (model and
baselines, same sentences) and optional cross-validation facts, and returns
the report dict. The renderers only read that dict.
"""

from __future__ import annotations

import base64
import html
import io
import json
from collections.abc import Sequence
from pathlib import Path

from zhner.annotate.gold import Record
from zhner.annotate.schema import LABELS, Span
from zhner.evaluation import metrics

MAIN = "model"


def hybrids(
    texts: Sequence[str],
    pred: Sequence[Sequence[Span]],
    name: str,
    lexicon_spans: Sequence[Sequence[Span]] | None = None,
    lexicon_mode: str = "first",
    configured: tuple[str, ...] | None = None,
    lac_spans: Sequence[Sequence[Span]] | None = None,
) -> dict[str, list[list[Span]]]:
    """The model's predictions combined with the METRIC rules (fill, override) and, given the spans a
    lexicon of the training mentions finds, with that lexicon (``model.lexicon``) before the rules;
    the other lexicon modes are scored with the rules too, so one run compares them. ``configured`` is the
    model's (lexicon, rules, HONOR rules, word edges[, LAC words]) modes: with HONOR rules, word edges or LAC's
    words (``lac_spans``, per text), their rows are added, on the network alone and on the configured output
    (beside the same rows without them). Each row is
    :func:`models.postprocess.postprocess`, the post-processing that ``zhner predict`` applies."""
    from zhner.models.lexicon import LEXICON_MODES
    from zhner.models.postprocess import postprocess

    def row(
        lexicon_mode: str, rules_mode: str, honor: str = "none", words: str = "none", lac: str = "none"
    ) -> list[list[Span]]:
        lexicons = lexicon_spans if lexicon_mode != "none" else [()] * len(texts)
        lacs = lac_spans if lac != "none" and lac_spans is not None else [()] * len(texts)
        modes = {"honor_mode": honor, "word_mode": words, "lac_mode": lac}
        return [
            sorted(postprocess(t, dict.fromkeys(p, 1.0), list(x), lexicon_mode, rules_mode, lac_spans=w, **modes))
            for t, p, x, w in zip(texts, pred, lexicons, lacs, strict=True)
        ]

    out = {f"{name}+rules-{mode}": row("none", mode) for mode in ("fill", "override")}
    if lexicon_spans is not None and lexicon_mode != "none":
        for mode in (lexicon_mode, *(m for m in LEXICON_MODES if m not in ("none", lexicon_mode))):
            if mode == lexicon_mode:  # the configured lexicon mode with every rules mode: its output row exists
                out[f"{name}+lexicon-{mode}"] = row(mode, "none")
                out[f"{name}+lexicon-{mode}+rules-fill"] = row(mode, "fill")
            out[f"{name}+lexicon-{mode}+rules-override"] = row(mode, "override")
    lexicon, rules, honor, words, lac = (*(configured or ()), "none", "none", "none", "none", "none")[:5]
    lexicon = lexicon if lexicon_spans is not None else "none"
    if honor != "none":
        out[f"{name}+honor-{honor}"] = row("none", "none", honor)
        out[configured_row(lexicon, rules, honor, name)] = row(lexicon, rules, honor)
    if words != "none":
        out[f"{name}+words-{words}"] = row("none", "none", "none", words)
        out[configured_row(lexicon, rules, honor, name, words)] = row(lexicon, rules, honor, words)
    if lac != "none" and lac_spans is not None:
        out[f"{name}+lac-{lac}"] = row("none", "none", "none", "none", lac)
        out[configured_row(lexicon, rules, honor, name, words, lac)] = row(lexicon, rules, honor, words, lac)
    return out


def configured_row(
    lexicon: str, rules: str, honor: str = "none", name: str = MAIN, words: str = "none", lac: str = "none"
) -> str:
    """The name of the report row that a model with these ``model.lexicon``, ``model.rules``,
    ``model.honor_rules``, ``model.word_edges`` and ``model.lac_spans`` outputs."""
    return (
        name
        + (f"+lexicon-{lexicon}" if lexicon != "none" else "")
        + (f"+rules-{rules}" if rules != "none" else "")
        + (f"+honor-{honor}" if honor != "none" else "")
        + (f"+words-{words}" if words != "none" else "")
        + (f"+lac-{lac}" if lac != "none" else "")
    )


def score_system(records: Sequence[Record], pred: Sequence[Sequence[Span]], *, seed: int = 0) -> dict:
    gold = [r.entities for r in records]
    return {
        "strict": metrics.prf(gold, pred),
        "schemes": metrics.schemes(gold, pred),
        "confusion": metrics.confusion(gold, pred),
        "bootstrap": metrics.bootstrap(gold, pred, seed=seed),
    }


def build(
    records: Sequence[Record],
    systems: dict[str, Sequence[Sequence[Span]]],
    *,
    title: str,
    about: dict | None = None,
    cv: dict | None = None,
    lexicon_spans: Sequence[Sequence[Span]] | None = None,
    lexicon_mode: str = "first",
    configured: tuple[str, ...] | None = None,
    model_texts: Sequence[str] | None = None,
    lac_spans: Sequence[Sequence[Span]] | None = None,
) -> dict:
    """The report dict. ``systems`` maps a name to predictions parallel to ``records``; ``MAIN`` is the model.

    ``configured``: the model's (lexicon, rules, HONOR rules, word edges[, LAC words]) modes (:func:`hybrids`),
    ``lac_spans``: LAC's ORG/LOC words in each model text when the model uses them.
    ``model_texts``: the texts as the model read them (Traditional converted to Simplified, same length), on
    which the post-processing rows find names and rules, as ``zhner predict`` does; default the records' texts.
    """
    ids, texts = [r.id for r in records], [r.text for r in records]
    main = MAIN if MAIN in systems else next(iter(systems))
    if main == MAIN:  # a model: also score it with the rules
        seen = list(model_texts) if model_texts is not None else texts
        extra = hybrids(seen, systems[main], main, lexicon_spans, lexicon_mode, configured, lac_spans)
        systems = {**systems, **extra}
    report = {
        "title": title,
        "about": about or {},
        "sentences": len(records),
        "gold_mentions": {lab: sum(s.label == lab for r in records for s in r.entities) for lab in LABELS},
        "main": main,
        "systems": {name: score_system(records, pred) for name, pred in systems.items()},
        "errors": metrics.errors(ids, texts, [r.entities for r in records], systems[main]),
        "examples": [
            {
                "id": r.id,
                "text": r.text,
                "gold": [s.to_list() for s in sorted(r.entities)],
                "pred": [s.to_list() for s in sorted(p)],
            }
            for r, p in zip(records, systems[main], strict=True)
        ],
    }
    if cv:
        report["cv"] = cv
    margins = {}
    m = report["systems"][main]["strict"]["micro"]["f1"]
    for name, sysrep in report["systems"].items():
        if name != main:
            margins[name] = m - sysrep["strict"]["micro"]["f1"]
    report["margin_over_baselines"] = margins
    return report


# --- Markdown -----------------------------------------------------------------------------------


def _pct(x: float) -> str:
    return f"{100 * x:.1f}"


def _ci(ci: Sequence[float] | None) -> str:
    return f"[{_pct(ci[0])}, {_pct(ci[1])}]" if ci else ""


def score_table(report: dict) -> str:
    """Per-label strict F1 (95% CI) of every system, plus micro and macro."""
    names = list(report["systems"])
    lines = ["| label | gold | " + " | ".join(names) + " |", "|---|---:|" + "---:|" * len(names)]
    for lab in [*LABELS, "micro", "macro"]:
        cells = []
        for name in names:
            sysrep = report["systems"][name]
            f1 = sysrep["strict"][lab]["f1"]
            ci = sysrep["bootstrap"].get(lab) if lab != "macro" else None
            cells.append(f"{_pct(f1)} {_ci(ci)}".strip())
        gold = report["gold_mentions"].get(lab, sum(report["gold_mentions"].values()))
        lines.append(f"| {lab} | {gold if lab != 'macro' else ''} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def to_markdown(report: dict) -> str:
    main = report["main"]
    s = report["systems"][main]
    out = [f"# {report['title']}", ""]
    for k, v in report["about"].items():
        out.append(f"- {k}: {v}")
    out += [
        "",
        f"{report['sentences']} sentences. Strict entity F1 (start, end and label must all match), "
        "with 95% bootstrap intervals over sentences:",
        "",
        score_table(report),
        "",
    ]
    if report.get("cv"):
        cv = report["cv"]
        out += [
            f"## Cross-validation ({cv['folds']} folds × {cv['repeats']} repeat(s))",
            "",
            "Per fold, mean ± std of strict F1:",
            "",
            "| label | mean | std |",
            "|---|---:|---:|",
        ]
        for lab, (mean, std) in cv["per_label_mean_std"].items():
            out.append(f"| {lab} | {_pct(mean)} | {_pct(std)} |")
        out.append("")
    out += [
        "## Precision and recall of the model",
        "",
        "| label | P | R | F1 | gold | predicted |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for lab in [*LABELS, "micro", "macro"]:
        r = s["strict"][lab]
        out.append(
            f"| {lab} | {_pct(r['precision'])} | {_pct(r['recall'])} | {_pct(r['f1'])} | {r['support']} "
            f"| {r['predicted']} |"
        )
    out += [
        "",
        "## Error types (nervaluate schemes)",
        "",
        "| scheme | COR | INC | PAR | MIS | SPU | P | R | F1 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in s["schemes"].items():
        out.append(
            f"| {name} | {r['COR']} | {r['INC']} | {r['PAR']} | {r['MIS']} | {r['SPU']} | {_pct(r['precision'])} "
            f"| {_pct(r['recall'])} | {_pct(r['f1'])} |"
        )
    c = s["confusion"]
    out += [
        "",
        "## Confusion (rows: gold, columns: predicted)",
        "",
        "| | " + " | ".join(c["cols"]) + " |",
        "|---|" + "---:|" * len(c["cols"]),
    ]
    for row, vals in zip(c["rows"], c["matrix"]):
        out.append(f"| {row} | " + " | ".join(str(v) for v in vals) + " |")
    kinds: dict[str, int] = {}
    for e in report["errors"]:
        kinds[e["kind"]] = kinds.get(e["kind"], 0) + 1
    out += ["", f"## Errors ({len(report['errors'])})", ""]
    out += [f"- {k}: {n}" for k, n in sorted(kinds.items())]
    out += ["", "| kind | sentence | gold | predicted |", "|---|---|---|---|"]
    for e in report["errors"][:200]:
        g = f"{e['gold'][3]} {e['gold'][2]}" if e["gold"] else ""
        p = f"{e['pred'][3]} {e['pred'][2]}" if e["pred"] else ""
        out.append(f"| {e['kind']} | {e['id']} | {g} | {p} |")
    if len(report["errors"]) > 200:
        out.append(f"| … | {len(report['errors']) - 200} more in report.json | | |")
    return "\n".join(out) + "\n"


# --- plots ----------------------------------------------------------------------------------------


def plots(report: dict) -> dict[str, bytes]:
    """PNG bytes: per-label F1 with CI bars for every system, and the model's confusion heatmap."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    out = {}
    names = list(report["systems"])
    labels = [*LABELS, "micro"]
    fig, ax = plt.subplots(figsize=(8, 4))
    width = 0.8 / len(names)
    for k, name in enumerate(names):
        sysrep = report["systems"][name]
        f1 = np.array([sysrep["strict"][lab]["f1"] for lab in labels]) * 100
        ci = [sysrep["bootstrap"].get(lab, [0, 0]) for lab in labels]
        err = np.array([[f - 100 * lo for f, (lo, _) in zip(f1, ci)], [100 * hi - f for f, (_, hi) in zip(f1, ci)]])
        ax.bar(np.arange(len(labels)) + k * width, f1, width, yerr=np.clip(err, 0, None), capsize=3, label=name)
    ax.set_xticks(np.arange(len(labels)) + width * (len(names) - 1) / 2, labels)
    ax.set_ylabel("strict F1 (%)")
    ax.set_ylim(0, 105)
    ax.set_title("F1 per label, 95% bootstrap interval")
    ax.legend(fontsize=8)
    out["f1.png"] = _png(fig)

    c = report["systems"][report["main"]]["confusion"]
    m = np.array(c["matrix"])
    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    ax.imshow(m, cmap="Blues")
    ax.set_xticks(range(len(c["cols"])), c["cols"], rotation=30)
    ax.set_yticks(range(len(c["rows"])), c["rows"])
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    for i in range(m.shape[0]):
        for j in range(m.shape[1]):
            ax.text(j, i, str(m[i, j]), ha="center", va="center", color="white" if m[i, j] > m.max() / 2 else "black")
    ax.set_title("Confusion of overlapping spans")
    out["confusion.png"] = _png(fig)
    return out


def _png(fig) -> bytes:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    return buf.getvalue()


# --- HTML -----------------------------------------------------------------------------------------


def _md_table_to_html(md: str) -> str:
    rows = [r.strip().strip("|").split("|") for r in md.strip().splitlines()]
    head, body = rows[0], rows[2:]
    th = "".join(f"<th>{html.escape(c.strip())}</th>" for c in head)
    trs = "".join("<tr>" + "".join(f"<td>{html.escape(c.strip())}</td>" for c in r) + "</tr>" for r in body)
    return f"<table><thead><tr>{th}</tr></thead><tbody>{trs}</tbody></table>"


def render_html(report: dict, images: dict[str, bytes]) -> str:
    from zhner.inference.render import STYLE, highlight

    err_ids = {e["id"] for e in report["errors"]}
    parts = [
        f'<!DOCTYPE html>\n<html lang="zh"><head><meta charset="utf-8"><title>{html.escape(report["title"])}</title>',
        "<style>",
        STYLE,
        "table { border-collapse: collapse; margin: 1em 0; } td, th { border: 1px solid #ccc; padding: .2em .6em; "
        "text-align: right; } .pair { display: grid; grid-template-columns: 1fr 1fr; gap: 1em; } "
        ".bad { background: #fff4f4; } mark.miss { outline: 2px solid #d00; } mark.spur { outline: 2px dashed #d00; } "
        "img { max-width: 100%; }",
        "</style></head><body>",
        f"<h1>{html.escape(report['title'])}</h1><ul>",
    ]
    parts += [f"<li>{html.escape(str(k))}: {html.escape(str(v))}</li>" for k, v in report["about"].items()]
    parts += [
        "</ul>",
        f"<p>{report['sentences']} sentences; strict entity F1 with 95% bootstrap intervals.</p>",
        _md_table_to_html(score_table(report)),
    ]
    for name, png in images.items():
        data = base64.b64encode(png).decode("ascii")
        parts.append(f'<img alt="{html.escape(name)}" src="data:image/png;base64,{data}">')
    parts.append(f"<h2>Sentences (gold | predicted); {len(err_ids)} with errors, marked red</h2>")
    for ex in report["examples"]:
        gold = [Span.from_list(s) for s in ex["gold"]]
        pred = [Span.from_list(s) for s in ex["pred"]]
        cls = "doc bad" if ex["id"] in err_ids else "doc"
        parts.append(
            f'<div class="{cls}"><span class="id">{html.escape(ex["id"])}</span><div class="pair">'
            f'<div class="gold">{_marked(ex["text"], gold, set(pred), "miss", highlight)}</div>'
            f'<div class="pred">{_marked(ex["text"], pred, set(gold), "spur", highlight)}</div></div></div>'
        )
    parts.append("</body></html>\n")
    return "\n".join(parts)


def _marked(text: str, spans: list[Span], other: set[Span], css: str, highlight) -> str:
    """Highlight ``spans``; those not in ``other`` get the error class ``css``."""
    out, pos = [], 0
    for s in sorted(spans):
        out.append(html.escape(text[pos : s.start]))
        piece = highlight(s.text_in(text), [Span(0, len(s), s.label)], css="" if s in other else css)
        out.append(piece)
        pos = s.end
    out.append(html.escape(text[pos:]))
    return "".join(out)


def write(report: dict, out_dir: str | Path) -> list[Path]:
    """report.json, report.md, report.html and the PNG plots in ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    images = plots(report)
    written = []
    for name, png in images.items():
        (out / name).write_bytes(png)
        written.append(out / name)
    (out / "report.json").write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    with open(out / "predictions.jsonl", "w", encoding="utf-8") as fh:  # the main system's, in the gold format
        for ex in report["examples"]:
            row = {"id": ex["id"], "text": ex["text"], "entities": ex["pred"]}
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    (out / "report.md").write_text(to_markdown(report), encoding="utf-8")
    (out / "report.html").write_text(render_html(report, images), encoding="utf-8")
    return [out / "report.json", out / "report.md", out / "report.html", out / "predictions.jsonl", *written]
