"""The post-processing of a model's output, written once: word edges, known names, then the rules.

``zhner predict`` (the :class:`inference.Extractor`) and the evaluation
report (its ``model+lexicon-…+rules-…`` rows) both call :func:`postprocess`,
so the row a report names as a model's output is what the model outputs.

The order is fixed: the network's spans, whose ORG/LOC fragments of a word are snapped to it or dropped by
``word_mode`` (:mod:`models.words`); the names of the model's lexicon,
by ``lexicon_mode`` (:mod:`models.lexicon`); LAC's ORG/LOC words (:func:`models.taggers.lac_spans`), by
``lac_mode`` (fill where nothing was found, or first); the user's dictionary, by
``user_mode``; the HONOR rules, by ``honor_mode`` (:mod:`models.honor`: fill where nothing was found,
and a METRIC rule span inside an HONOR span gives way to it, as the 三级 of 三级航天功勋奖章); the METRIC
rules, by ``rules_mode`` (:mod:`models.rules`). Spans are first trimmed of whitespace at their edges (the
spec never puts it inside a span's ends; a network fed spaces can).
A span that a step adds carries the score 1.0; a span kept (or snapped to a word) keeps its score.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from zhner.annotate.schema import Span
from zhner.models.honor import combine_honor, honor_rules
from zhner.models.lexicon import combine as combine_lexicon
from zhner.models.rules import combine as combine_rules
from zhner.models.rules import metric_rules
from zhner.models.words import word_edges


def postprocess(
    text: str,
    spans: Mapping[Span, float],
    lexicon_spans: Sequence[Span],
    lexicon_mode: str,
    rules_mode: str,
    *,
    user_spans: Sequence[Span] = (),
    user_mode: str = "fill",
    honor_mode: str = "none",
    word_mode: str = "none",
    lac_spans: Sequence[Span] = (),
    lac_mode: str = "none",
) -> dict[Span, float]:
    """The spans of ``text`` (span → score) after the word edges, the lexicon, the user's names and the rules;
    sorted.

    ``lexicon_spans`` and ``user_spans`` are what :func:`models.lexicon.match` found in ``text``.

    >>> text = "浙江新增4个集群"
    >>> postprocess(text, {Span(0, 2, "ORG"): 0.6}, [Span(0, 2, "LOC")], "first", "override")
    {Span(0, 2, 'LOC'): 1.0, Span(4, 6, 'METRIC'): 1.0}
    >>> postprocess(text, {Span(0, 2, "ORG"): 0.6}, [Span(0, 2, "LOC")], "fill", "none")
    {Span(0, 2, 'ORG'): 0.6}
    """
    out = word_edges(text, _trimmed(text, spans), word_mode)
    if lexicon_mode != "none" and lexicon_spans:
        out = _kept(out, combine_lexicon(list(out), list(lexicon_spans), lexicon_mode))
    if lac_mode != "none" and lac_spans:
        out = _kept(out, combine_lexicon(list(out), list(lac_spans), lac_mode))
    if user_spans:
        out = _kept(out, combine_lexicon(list(out), list(user_spans), user_mode))
    metric = metric_rules(text) if rules_mode != "none" else []
    if honor_mode != "none":
        out = _kept(out, combine_honor(list(out), honor_rules(text, metric), honor_mode))
        honors = [s for s in out if s.label == "HONOR"]
        metric = [m for m in metric if not any(h.start <= m.start and m.end <= h.end for h in honors)]
    if rules_mode != "none":
        out = _kept(out, combine_rules(list(out), metric, rules_mode))
    return out


def _trimmed(text: str, spans: Mapping[Span, float]) -> dict[Span, float]:
    """Spans without whitespace at their edges; a span of whitespace only is dropped.

    >>> _trimmed("CVS 公司", {Span(0, 4, "ORG"): 0.9, Span(3, 4, "ORG"): 0.5})
    {Span(0, 3, 'ORG'): 0.9}
    """
    out: dict[Span, float] = {}
    for s, score in spans.items():
        a, b = s.start, s.end
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if a < b:
            out[Span(a, b, s.label) if (a, b) != (s.start, s.end) else s] = score
    return out


def _kept(scores: dict[Span, float], spans: list[Span]) -> dict[Span, float]:
    """``spans`` with their scores in ``scores``; a span new to it gets 1.0."""
    return {s: scores.get(s, 1.0) for s in spans}
