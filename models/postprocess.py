"""The post-processing of a model's output, written once: known names, then the METRIC rules.

``zhner predict`` (the :class:`inference.Extractor`) and the evaluation
report (its ``model+lexicon-…+rules-…`` rows) both call :func:`postprocess`,
so the row a report names as a model's output is what the model outputs.

The order is fixed: the network's spans; the names of the model's lexicon,
by ``lexicon_mode`` (:mod:`models.lexicon`); the user's dictionary, by
``user_mode``; the METRIC rules, by ``rules_mode`` (:mod:`models.rules`).
A span that a step adds carries the score 1.0; a span kept keeps its score.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from zhner.annotate.schema import Span
from zhner.models.lexicon import combine as combine_lexicon
from zhner.models.rules import combine as combine_rules
from zhner.models.rules import metric_rules


def postprocess(
    text: str,
    spans: Mapping[Span, float],
    lexicon_spans: Sequence[Span],
    lexicon_mode: str,
    rules_mode: str,
    *,
    user_spans: Sequence[Span] = (),
    user_mode: str = "fill",
) -> dict[Span, float]:
    """The spans of ``text`` (span → score) after the lexicon, the user's names and the rules; sorted.

    ``lexicon_spans`` and ``user_spans`` are what :func:`models.lexicon.match` found in ``text``.

    >>> text = "浙江新增4个集群"
    >>> postprocess(text, {Span(0, 2, "ORG"): 0.6}, [Span(0, 2, "LOC")], "first", "override")
    {Span(0, 2, 'LOC'): 1.0, Span(4, 6, 'METRIC'): 1.0}
    >>> postprocess(text, {Span(0, 2, "ORG"): 0.6}, [Span(0, 2, "LOC")], "fill", "none")
    {Span(0, 2, 'ORG'): 0.6}
    """
    out = dict(sorted(spans.items()))
    if lexicon_mode != "none" and lexicon_spans:
        out = _kept(out, combine_lexicon(list(out), list(lexicon_spans), lexicon_mode))
    if user_spans:
        out = _kept(out, combine_lexicon(list(out), list(user_spans), user_mode))
    if rules_mode != "none":
        out = _kept(out, combine_rules(list(out), metric_rules(text), rules_mode))
    return out


def _kept(scores: dict[Span, float], spans: list[Span]) -> dict[Span, float]:
    """``spans`` with their scores in ``scores``; a span new to it gets 1.0."""
    return {s: scores.get(s, 1.0) for s in spans}
