"""Self-contained HTML with entities highlighted by label (no scripts, no network)."""

from __future__ import annotations

import html
from collections.abc import Sequence

from zhner.annotate.schema import LABELS, Span

COLORS = {"ORG": "#8ecae6", "LOC": "#b7e4c7", "METRIC": "#ffd166", "HONOR": "#f4acb7"}

STYLE = """
body { font-family: "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif; max-width: 60em;
       margin: 2em auto; line-height: 1.9; color: #222; }
.doc { border-bottom: 1px solid #ddd; padding: .6em 0; white-space: pre-wrap; }
.id { color: #888; font-size: .8em; display: block; }
mark { border-radius: .25em; padding: .05em .15em; }
mark sup { font-size: .6em; color: #444; margin-left: .15em; }
.legend mark { margin-right: .6em; }
""" + "\n".join(f"mark.{lab} {{ background: {c}; }}" for lab, c in COLORS.items())


def header(title: str = "zh-industry-ner") -> str:
    legend = "".join(f'<mark class="{lab}">{lab}</mark>' for lab in LABELS)
    return (
        f'<!DOCTYPE html>\n<html lang="zh"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{STYLE}</style></head><body>\n<h1>{html.escape(title)}</h1>\n"
        f'<p class="legend">{legend}</p>\n'
    )


def footer() -> str:
    return "</body></html>\n"


def highlight(text: str, spans: Sequence[Span], scores: Sequence[float] | None = None, css: str = "") -> str:
    """``text`` as HTML with each span in a ``<mark class="LABEL">``; spans must not overlap."""
    out, pos = [], 0
    for k, span in sorted(enumerate(spans), key=lambda item: item[1]):
        out.append(html.escape(text[pos : span.start]))
        title = span.label if scores is None else f"{span.label} {scores[k]:.2f}"
        out.append(
            f'<mark class="{span.label} {css}" title="{title}">{html.escape(span.text_in(text))}'
            f"<sup>{span.label}</sup></mark>"
        )
        pos = span.end
    out.append(html.escape(text[pos:]))
    return "".join(out)


def document(doc_id: str, text: str, spans: Sequence[Span], scores: Sequence[float] | None = None) -> str:
    return f'<div class="doc"><span class="id">{html.escape(doc_id)}</span>{highlight(text, spans, scores)}</div>\n'
