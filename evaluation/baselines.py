"""Baselines scored beside every model, on the same sentences.

``BASELINES`` maps a name to a factory ``(training records) -> predict(text) -> list[Span]``.

- ``rules-metric``: METRIC only, from regular expressions written from the
  annotation spec (numbers with units, %, multipliers, bound words, ranks,
  fractions), with its exclusions (dates, durations, 一 as an article).
- ``dictionary``: every mention seen in the training data, longest match
  first, with the label it most often had.
- ``dictionary+rules``: what the default model adds to its network, without
  the network: the training ORG/LOC/HONOR names (2+ characters, as the model's
  lexicon) and METRIC from the rules. A model must beat this to earn its place.
- ``jieba``: jieba's part-of-speech tags ns → LOC, nt → ORG; only when jieba is installed.
- ``lac+rules``: Baidu's LAC (ORG/LOC) with METRIC from the rules, the off-the-shelf tagger to beat.
  By default LAC's network re-implemented in torch (:mod:`models.lacnet`, its converted weights in
  ``models/bundled/lac``; identical tags to LAC's own on every corpus line compared). With
  ``$ZHNER_LAC_PYTHON`` (``zhner evaluate --lac-python``), LAC itself, run by that interpreter (LAC needs
  paddlepaddle and ``numpy<2``, so it lives in its own environment). Without either the row is absent
  and the report says so (:func:`notes`).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Sequence

from zhner.annotate.gold import Record
from zhner.annotate.schema import Span
from zhner.models.lexicon import build as build_lexicon
from zhner.models.lexicon import match as match_lexicon
from zhner.models.lexicon import names as lexicon_names
from zhner.models.rules import combine as combine_rules
from zhner.models.rules import metric_rules
from zhner.models.taggers import ExternalTagger, jieba_tagger, lac_torch_tagger

Predictor = Callable[[str], list[Span]]
__all__ = ["BASELINES", "LAC_PYTHON", "dictionary_factory", "metric_rules", "notes"]
LAC_PYTHON = "ZHNER_LAC_PYTHON"


def rules_factory(train: Sequence[Record]) -> Predictor:
    return metric_rules


def dictionary_factory(train: Sequence[Record]) -> Predictor:
    """Longest-match tagger over every training mention (ties in label: the most frequent)."""
    lexicon = build_lexicon(train)
    return lambda text: match_lexicon(text, lexicon)


def dictionary_rules_factory(train: Sequence[Record]) -> Predictor:
    """The default's lexicon (training ORG/LOC/HONOR names of 2+ characters) with METRIC from the rules."""
    lexicon = lexicon_names(train)
    return lambda text: combine_rules(match_lexicon(text, lexicon), metric_rules(text), "override")


def jieba_factory(train: Sequence[Record]) -> Predictor:
    return jieba_tagger()  # ns -> LOC, nt -> ORG (models.taggers)


@functools.cache
def _external(name: str, python: str) -> ExternalTagger:
    """One tagger process per interpreter for the whole run (cross-validation asks for it once a fold)."""
    return ExternalTagger(name, python)


def _with_rules(tagger: Predictor) -> Predictor:
    """A tagger's ORG/LOC with the METRIC rules overriding where they overlap."""
    return lambda text: combine_rules(tagger(text), metric_rules(text), "override")


def lac_rules_factory(train: Sequence[Record]) -> Predictor:
    """LAC's ORG/LOC, run by ``$ZHNER_LAC_PYTHON``, with the METRIC rules."""
    return _with_rules(_external("lac", os.environ[LAC_PYTHON]))


def lac_torch_rules_factory(train: Sequence[Record]) -> Predictor:
    """LAC's ORG/LOC from its torch port, with the METRIC rules."""
    return _with_rules(lac_torch_tagger())


def _lac_port() -> bool:
    """Whether the torch port's converted weights are here (a source checkout; not in the wheel)."""
    from zhner.models.lacnet import DEFAULT_DIR

    return (DEFAULT_DIR / "model.safetensors").is_file()


def active() -> dict[str, Callable[[Sequence[Record]], Predictor]]:
    """The baselines to score now: :data:`BASELINES`, plus ``lac+rules`` from LAC itself when
    ``$ZHNER_LAC_PYTHON`` is set, else from its torch port when its weights are here."""
    if os.environ.get(LAC_PYTHON):
        return {**BASELINES, "lac+rules": lac_rules_factory}
    return {**BASELINES, **({"lac+rules": lac_torch_rules_factory} if _lac_port() else {})}


def notes() -> dict[str, str]:
    """Where the ``lac+rules`` row comes from, or why it is absent."""
    if os.environ.get(LAC_PYTHON):
        return {"lac+rules": f"LAC 2.1.2 run by {os.environ[LAC_PYTHON]}"}
    if _lac_port():
        return {"lac+rules": "LAC 2.1.2's network in torch (models/bundled/lac; identical tags to LAC)"}
    return {"lac+rules": "not scored: give --lac-python PATH (a Python with LAC; see models/taggers.py)"}


BASELINES: dict[str, Callable[[Sequence[Record]], Predictor]] = {
    "rules-metric": rules_factory,
    "dictionary": dictionary_factory,
    "dictionary+rules": dictionary_rules_factory,
}
try:  # optional off-the-shelf baseline
    import jieba  # noqa: F401

    BASELINES["jieba"] = jieba_factory
except ImportError:
    pass
