"""Rules for METRIC, written from the annotation spec; usable alone (a baseline) or with a model.

``metric_rules(text)`` finds numbers with units, %, multipliers and bound
words, Chinese-numeral fractions and ranks, and drops what the spec keeps out
(dates, durations, edition and batch numbers, 一 as an article).
``combine(model_spans, rule_spans, mode)`` merges them with a model's output:

- ``none``: the model alone;
- ``fill``: rule METRIC spans are added where they overlap no model span;
- ``override``: the model's METRIC spans are dropped and the rules' METRIC
  spans win over any model span they overlap.
"""

from __future__ import annotations

import re

from zhner.annotate.schema import Span, merge_by_mode

_D = "0-9０-９"
_CN = "零〇一二两三四五六七八九十百千"
NUM = rf"(?<![A-Za-z0-9.．])(?:[{_D}]+(?:[.．][{_D}]+)?|[{_CN}]+(?:点[{_CN}]+)?|几[十百千万])"
MULT = r"(?:万亿|亿|万|千)"
UNIT = (
    r"(?:个百分点|百分点|%|％|‰|元人民币|元港币|元|美元|欧元|港元|港币|家|个|台套|台|套|辆|吨|千瓦时|千瓦|兆瓦|"
    r"吉瓦|GWh|MWh|kWh|GW|MW|平方米|平方公里|公里|千米|米|亩|公顷|人次|人|名|项|件|倍|条|座|所|处|位数|位|种|"
    r"大类|类|款|栋|艘|架|颗|片|只|头|户|层|立方米|升|克|千克|公斤|斤|标准箱|载重吨|席|部门|方面|方|地|市|"
    r"省区|省|区|县|国|级|大|次|轮|场|股|笔|张|折|双|把|副|包|标箱|瓶|盒|箱|袋|枚|根|支|本|份|桶|块|株|棵|匹)"
)
PER = r"(?:/(?:平方米|千瓦时|公斤|[\u4e00-\u9fff]))"  # per-unit forms: 500元/吨, 899元/瓶
PRE = r"(?:大约|约|(?<!接)近|超|逾|不足|不到|上(?=[百千万]))"  # 接近 is a verb of degree: its 近 stays out
POST = r"(?:余|多|以上|左右)"
QUANTITY = rf"{PRE}?{NUM}{POST}?{MULT}?{POST}?(?:{UNIT}{PER}?{POST}?)"
# a multiplier is the unit of an amount written without one (成交1000亿, 3.5万): Arabic digits, or 亿/万亿
BARE = (
    rf"{PRE}?(?:(?<![A-Za-z0-9.．])[{_D}]+(?:[.．][{_D}]+)?{POST}?(?:万亿|亿|万)|[{_CN}]+(?:万亿|亿))"
    rf"{POST}?(?![\u4e00-\u9fff])"
)
PERCENT_CN = rf"{PRE}?(?:百分之[{_CN}]+(?:点[{_CN}]+)?|[{_CN}{_D}]+成|[{_CN}]+分之[{_CN}]+|一半)(?:以上|左右)?"
RANK = rf"(?:第[{_D}{_CN}]+(?:大|位|名|梯队|家|个|艘|条|座|台|辆|架|张|笔|只)?|前[{_D}{_CN}]+(?:名|强|位|大|只|家|个)?)"
METRIC_RE = re.compile(rf"{RANK}|{PERCENT_CN}|{QUANTITY}|{BARE}")
# what the spec keeps out: dates, durations, edition, batch and phase numbers, generations, 一 as an article
NOT_AFTER = re.compile(
    r"^(?:[.．][0-9]+)?(?:年|月|日|号|世纪|年代|季度|届|批|期|代|周年|个月|个季度|个小时|小时|天|周|财季|季)"
)
ORDINAL_AFTER = re.compile(r"^(?:次|届|批|期)")  # 第二次发布: an ordinal of occurrence (a count, 3次, is a figure)
CONGRESS = re.compile(r"^(?:以来|精神|报告|代表|召开|期间)")  # 党的十八大以来: a congress, not 七大 in 七大产业
ARTICLE_ONE = re.compile(rf"^{PRE}?一(?:个|批|条|张|家|项|种|座|位|名|件|次|片|些|体|大批|大|方|地|级)$")


def metric_rules(text: str) -> list[Span]:
    """METRIC spans found by the rules.

    >>> t = "营收3.9万亿元,占53%,超12万辆,居全国第二,2024年,一批企业"
    >>> [s.text_in(t) for s in metric_rules(t)]
    ['3.9万亿元', '53%', '超12万辆', '第二']

    Forms of published financial news (the published-news train split, data/news):

    >>> t = "注册资本2.5亿元人民币,售价899元/瓶,成交1000亿,加息3次,不到5亿元,上百家企业,前11个月,党的十八大以来"
    >>> [s.text_in(t) for s in metric_rules(t)]
    ['2.5亿元人民币', '899元/瓶', '1000亿', '3次', '不到5亿元', '上百家']
    """
    spans = []
    for m in METRIC_RE.finditer(text):
        surface = m.group()
        if NOT_AFTER.match(text[m.end() :]) or ARTICLE_ONE.match(surface):
            continue
        if surface.startswith("第") and (NOT_AFTER.match(text[m.end() :]) or ORDINAL_AFTER.match(text[m.end() :])):
            continue
        if surface.endswith("大") and CONGRESS.match(text[m.end() :]):
            continue
        spans.append(Span(m.start(), m.end(), "METRIC"))
    return spans


RULE_MODES = ("none", "fill", "override")


def combine(model_spans: list[Span], rule_spans: list[Span], mode: str) -> list[Span]:
    """Model and rule spans merged by ``mode`` (see the module docstring); flat and sorted.

    >>> m = [Span(0, 2, "LOC"), Span(4, 6, "METRIC")]
    >>> r = [Span(3, 7, "METRIC"), Span(9, 11, "METRIC")]
    >>> combine(m, r, "fill")
    [Span(0, 2, 'LOC'), Span(4, 6, 'METRIC'), Span(9, 11, 'METRIC')]
    >>> combine(m, r, "override")
    [Span(0, 2, 'LOC'), Span(3, 7, 'METRIC'), Span(9, 11, 'METRIC')]
    """
    return merge_by_mode(model_spans, rule_spans, mode, RULE_MODES, "rules", keep=lambda s: s.label != "METRIC")
