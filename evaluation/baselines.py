"""Baselines scored beside every model, on the same sentences.

``BASELINES`` maps a name to a factory ``(training records) -> predict(text) -> list[Span]``.

- ``rules-metric``: METRIC only, from regular expressions written from the
  annotation spec (numbers with units, %, multipliers, bound words, ranks,
  fractions), with its exclusions (dates, durations, 一 as an article).
- ``dictionary``: every mention seen in the training data, longest match
  first, with the label it most often had.
- ``jieba``: jieba's part-of-speech tags ns → LOC, nt → ORG; only when jieba is installed.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence

from annotate.gold import Record
from annotate.schema import Span

Predictor = Callable[[str], list[Span]]

_D = "0-9０-９"
_CN = "零〇一二两三四五六七八九十百千"
NUM = rf"(?:[{_D}]+(?:[.．][{_D}]+)?|[{_CN}]+(?:点[{_CN}]+)?)"
MULT = r"(?:万亿|亿|万|千)"
UNIT = (
    r"(?:个百分点|百分点|%|％|‰|元|美元|欧元|港元|家|个|台套|台|套|辆|吨|千瓦时|千瓦|兆瓦|吉瓦|GWh|MWh|kWh|GW|MW|"
    r"平方米|平方公里|公里|千米|米|亩|公顷|人次|人|名|项|件|倍|条|座|所|处|位|种|类|批|期|款|栋|艘|架|颗|片|"
    r"只|头|户|层|年产|立方米|升|克|千克|公斤|斤|岁|天|小时|分钟|秒)"
)
PRE = r"(?:约|近|超|逾|不足)"
POST = r"(?:余|多|以上|左右)"
QUANTITY = rf"{PRE}?{NUM}{POST}?{MULT}?{POST}?(?:{UNIT}{POST}?)"
PERCENT_CN = rf"{PRE}?(?:百分之[{_CN}]+(?:点[{_CN}]+)?|[{_CN}]+成|[{_CN}]+分之[{_CN}]+|一半)"
RANK = rf"(?:第[{_D}{_CN}]+(?:大|位|名|梯队|家|个)?|前[{_D}{_CN}]+(?:名|强|位)?)"
METRIC_RE = re.compile(rf"{RANK}|{PERCENT_CN}|{QUANTITY}")
# what the spec keeps out: dates, durations, edition and batch numbers, 一 as an article
NOT_AFTER = re.compile(r"^(?:年|月|日|号|世纪|年代|季度|届|批|次|期|代|周年)")
ARTICLE_ONE = re.compile(rf"^{PRE}?一(?:个|批|条|张|家|项|种|座|位|名|件|次|片|些|体|大批)$")


def metric_rules(text: str) -> list[Span]:
    """METRIC spans found by the rules.

    >>> t = "营收3.9万亿元,占53%,超12万辆,居全国第二,2024年,一批企业"
    >>> [s.text_in(t) for s in metric_rules(t)]
    ['3.9万亿元', '53%', '超12万辆', '第二']
    """
    spans = []
    for m in METRIC_RE.finditer(text):
        surface = m.group()
        if NOT_AFTER.match(text[m.end() :]) or ARTICLE_ONE.match(surface):
            continue
        if surface.startswith("第") and NOT_AFTER.match(text[m.end() :]):
            continue
        spans.append(Span(m.start(), m.end(), "METRIC"))
    return spans


def rules_factory(train: Sequence[Record]) -> Predictor:
    return metric_rules


def dictionary_factory(train: Sequence[Record]) -> Predictor:
    """Longest-match tagger over the training mentions (ties in label: the most frequent)."""
    seen: dict[str, Counter[str]] = defaultdict(Counter)
    for rec in train:
        for surface, label in rec.mentions():
            seen[surface][label] += 1
    lexicon = {s: c.most_common(1)[0][0] for s, c in seen.items()}
    lengths = sorted({len(s) for s in lexicon}, reverse=True)

    def predict(text: str) -> list[Span]:
        spans, i = [], 0
        while i < len(text):
            for n in lengths:
                if i + n <= len(text) and text[i : i + n] in lexicon:
                    spans.append(Span(i, i + n, lexicon[text[i : i + n]]))
                    i += n
                    break
            else:
                i += 1
        return spans

    return predict


def jieba_factory(train: Sequence[Record]) -> Predictor:
    import jieba.posseg as pseg  # optional: only registered when importable

    tags = {"ns": "LOC", "nt": "ORG"}

    def predict(text: str) -> list[Span]:
        spans, pos = [], 0
        for word, flag in pseg.cut(text):
            if flag in tags and word.strip():
                spans.append(Span(pos, pos + len(word), tags[flag]))
            pos += len(word)
        return spans

    return predict


BASELINES: dict[str, Callable[[Sequence[Record]], Predictor]] = {
    "rules-metric": rules_factory,
    "dictionary": dictionary_factory,
}
try:  # optional off-the-shelf baseline
    import jieba  # noqa: F401

    BASELINES["jieba"] = jieba_factory
except ImportError:
    pass
