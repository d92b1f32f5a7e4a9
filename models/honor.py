"""Rules for HONOR, written from the annotation spec; meant to fill in where the network found nothing.

The spec's HONOR is "a title, award, designation or list membership conferred
by an authority, named as such" (``../shared/annotation-spec.md``, and
``annotate/GUIDELINES.md`` §3 and §5). ``honor_rules(text)`` finds:

- ranking lists ending at their 强 (世界500强, 中国企业500强, 电子信息百强, 全国百强 in
  全国百强县, a bare 百强 or 500强); a rank (前10强, 第一) is METRIC and never a list;
- designations with their full name: clusters (国家先进制造业集群, 省级特色产业集群),
  专精特新“小巨人”企业, 制造业单项冠军(示范)企业/产品, 灯塔工厂, 绿色工厂, 智能制造示范工厂,
  高新技术企业, 驰名商标, 中华老字号, 技术创新示范企业, 企业技术中心, 工业设计中心, 示范基地/
  示范区, 文明城市 and others;
- awards: 质量奖, 工业大奖, 五一劳动奖状/奖章, 科学技术进步奖一等奖 with its 国家/province, 专利金奖,
  鲁班奖, 詹天佑奖, medals, and a quoted title before 称号 or ending in 奖/奖章/勋章.

What the spec keeps out stays out: the year, 第N批/第N届, 名单/称号/榜单 and the conferring
body around a title; quotation marks around a whole title (those inside one stay in);
tier words alone (国家级、省级); goals (世界级先进制造业集群, 争创…) and self-descriptions
(全国最大的…基地); generic mentions (荣誉称号, 多项国字号荣誉). A level word (国家级, 省级,
国家, 全国, 中国, 世界, 全球, a province) is inside the span where it is part of the title.

Some titles are also common nouns (绿色工厂, 独角兽企业, 高新技术企业): these count only with
a level prefix or where the sentence confers or counts them (获评/入选/认定为…, a count such
as 28家 after it, or 名单/称号 after it). Designations that are also places (国家高新区,
国家级经济技术开发区) count only where no name runs into them (昌吉国家高新技术产业开发区 is a
LOC). ``rule_spans(text)`` gives the HONOR and METRIC rule spans together, flat: a METRIC
rule span inside an HONOR one (the 三级 in 三级航天功勋奖章) gives way to it, as numbers inside
names are not METRIC. ``docs/honor-rules.md`` has the measured precision and recall.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from zhner.annotate.schema import Span, merge, merge_by_mode
from zhner.models.rules import metric_rules

HONOR_MODES = ("none", "fill")

CJK = "\u4e00-\u9fff"
QO, QC = "“\"‘'「『", "”\"’'」』"  # opening and closing quotation marks (the article mixes them: "415X”)
Q = QO + QC
_PROV = (
    "内蒙古|黑龙江|北京|天津|上海|重庆|河北|山西|辽宁|吉林|江苏|浙江|安徽|福建|江西|山东|河南|湖北|湖南|广东|海南|"
    "四川|贵州|云南|陕西|甘肃|青海|台湾|广西|西藏|宁夏|新疆|香港|澳门"
)
_PROV_SUFFIX = "(?:壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区|省|市)"
PROVINCE = rf"(?:(?:{_PROV}){_PROV_SUFFIX})"  # with its suffix: 浙江省, 上海市, 广西壮族自治区
PROVINCE_SHORT = rf"(?:(?:{_PROV}){_PROV_SUFFIX}?)"  # awards also take the bare name: 广西科学技术进步奖
# the level of a designation (not 世界级: as in 世界级先进制造业集群 it names a goal, never a title)
LEVEL = rf"(?:国家级|国家层面|国家|省级|市级|{PROVINCE})"
GRADE = r"(?:特等奖|一等奖|二等奖|三等奖)"
# a character of a title's middle (国家[新型工业化产业]示范基地): no second level, no word that ends a name or
# makes it a description (首个, 最大, 重要, 一流)
MIDDLE = rf"(?:(?!国家|省级|的|和|与|及|或|等|是|为|首|最|第|重要|一流|领先)[{CJK}])"

# words that, right before a title, make it a goal or a plan rather than one held (培育一批世界级…)
GOAL_BEFORE = re.compile(
    r"(?:争创|(?<!获批)(?<!累计)(?<!已)创建|打造|建成|争当|申报|申创|培育一批|冲刺)(?:一批|[0-9至一二三四五六七八九十]+个)?$"
)
# the sentence confers or lists the title: a bare common-noun title counts after these
CONFER_BEFORE = re.compile(
    r"(?:获评|评为|评选为|认定为|被认定|获得|荣获|获|入选|入围|授予|命名为|列为|确定为|跻身|成为|是|为|均为|新增|现有|拥有|培育)"
    r"(?:第[一二三四五六七八九十0-9]+批|首批|新一批|[0-9]{4}年度?|年度)?$"
)
LIST_AFTER = re.compile(r"^(?:名单|榜单|名录|目录|称号|荣誉称号|认定|评选|排行榜)")
# a character before a place-like designation that cannot end a name running into it (是国家高新区, 首批国家级…)
PLACE_OK_BEFORE = set('是为批的成个家月年和及与等、，,。；;：:“”"（(）) 获设在')

# -- ranking lists -----------------------------------------------------------------------------
# a list's size: 20 or more (十强 and 10强 alone are ranks as often as lists), 百, 千, 五百
LIST_SIZE = r"(?:(?<![0-9.])(?:[2-9][0-9]|[1-9][0-9]{2,3})|(?:[二三四五六七八九]十)|[一二三五]?百|千)"
LIST_RE = re.compile(rf"(?<![前第0-9.一二三四五六七八九十百千]){LIST_SIZE}强")
# where a list's name stops growing to the left (a verb, a function word, a source)
LIST_STOP = re.compile(
    r"(?:入选|跻身|位列|位居|入围|进入|保持|蝉联|发布|公布|揭晓|跃居|登上|荣登|财富|福布斯|年度|首次|再次|连续|多年|"
    r"引进|吸引|落户|拥有|共有|现有|[的在为是获被和与及或等对将从其了也均都已又再仍还并度年届批期家个名列居])$"
)
LIST_MAX = 14  # characters of name before the size

# -- designations and awards ---------------------------------------------------------------------
# (pattern, needs): "" a title by itself; "context": a common noun too, a title only with a conferring
# verb, a count or 名单 around it; "confer": the same without the count (集聚高新技术企业超1400家 is
# no title); "place": a designation that is also a place name, a title only where no name runs into it
_SPECS: list[tuple[str, str]] = [
    # clusters: the full name with its level (tier words alone are not HONOR)
    (rf"(?:国家级|国家|省级|{PROVINCE})先进制造业集群", ""),
    (rf"{LEVEL}(?:中小企业)?(?:特色|重点成长型|重点|战略性新兴|战略新兴|创新型)产业集群(?:试点)?", ""),
    # 专精特新 and 小巨人
    (rf"{LEVEL}?(?:[{QO}]专精特新[{QC}]|专精特新)(?:[{QO}]小巨人[{QC}](?:企业)?|小巨人企业|中小企业)", ""),
    (rf"{LEVEL}(?:[{QO}]专精特新[{QC}]|专精特新)企业", ""),
    (rf"(?:[{QO}]小巨人[{QC}]|小巨人)企业", ""),
    (r"创新型中小企业", ""),
    # champions
    (rf"{LEVEL}?制造业单项冠军(?:示范企业|企业|产品)?", ""),
    (rf"{LEVEL}单项冠军(?:示范企业|企业|产品)?", ""),
    (rf"{LEVEL}隐形冠军(?:企业)?", ""),
    # factories and plants
    (rf"(?:全球|世界)[{QO}]灯塔工厂[{QC}]|(?:全球|世界)?灯塔工厂", ""),
    (rf"{LEVEL}?5G全连接工厂(?!示范)", ""),
    (rf"{LEVEL}?智能制造示范(?:工厂|车间)", ""),
    (rf"{LEVEL}(?:智能工厂|数字化车间|智能制造标杆企业)", ""),
    (rf"{LEVEL}绿色(?:工厂|工业园区|园区|供应链管理企业|设计产品|数据中心|矿山)", ""),
    (r"绿色(?:工厂|工业园区|供应链管理企业|数据中心)", "context"),
    # enterprises, brands, centres
    (r"(?:国家级|国家)高新技术企业", ""),
    (r"高新技术企业", "confer"),
    (r"(?:中国)?驰名商标", ""),
    (rf"中华老字号|{PROVINCE_SHORT}老字号(?!品牌)", ""),
    (rf"{LEVEL}?技术创新示范企业", ""),
    (rf"{LEVEL}?知识产权(?:示范|优势)企业", ""),
    (rf"(?:国家认定|{LEVEL})企业技术中心", ""),
    (rf"{LEVEL}(?:工业设计中心|概念验证中心|制造业创新中心|重点实验室|工程技术研究中心|工程研究中心)", "place"),
    (rf"{LEVEL}(?:工业互联网示范平台|跨行业跨领域工业互联网平台)", ""),
    (rf"{LEVEL}?(?:独角兽|瞪羚)企业", "context"),
    (r"国家实验室", "place"),
    # 示范/基地/试点 phrases with their level: 国家新型工业化产业示范基地, 国家生态文明建设示范区
    (rf"(?:{LEVEL}|全国){MIDDLE}{{0,12}}?示范(?:基地|区|平台|工程|园区|城市|县|企业|工厂|单位)", "place"),
    (rf"{LEVEL}{MIDDLE}{{2,14}}?(?:实验区|先行区|先导区)", "place"),
    (rf"[{QO}][{CJK}]{{2,16}}[{QC}]实践创新基地", ""),
    # zones and places that are titles when named as such (a LOC when a name runs into them)
    (r"国家级(?:高新技术产业开发区|经济技术开发区|高新区|经开区|新区)|国家(?:高新技术产业开发区|高新区)", "place"),
    (r"国家(?:级)?(?:重要湿地|湿地公园|森林公园|风景名胜区|自然保护区|旅游度假区)", "place"),
    (r"国家(?:[1-5]A|AAAAA|AAAA)级(?:旅游)?景区", ""),
    (r"全国文明城市(?:提名城市)?|(?:全国|国家)(?:卫生城市|园林城市|文明单位|文明村镇|卫生县城)|国家历史文化名城", ""),
    (r"最佳旅游乡村", ""),
    # 典型: 机床装备行业典型 (the name before 行业 is found by _typical), “…”全国典型
    (rf"(?:[{QO}][{CJK}]{{2,20}}[{QC}])?(?:全国|全省)典型", ""),
    # awards
    (
        rf"(?:中国|全国|{PROVINCE_SHORT}(?:省长|市长|政府|人民政府|长江)?|省(?:长|政府|人民政府))质量奖(?:提名奖)?",
        "",
    ),
    (r"中国工业大奖(?:表彰奖|提名奖)?", ""),
    (rf"(?:全国|{PROVINCE_SHORT})?五一劳动奖(?:状|章)", ""),
    (r"中国青年五四奖章(?:集体)?", ""),
    (
        rf"(?:国家|{PROVINCE_SHORT}|省|市)(?:最高科学技术奖|(?:科学技术|科技)(?:进步|发明|成果)?"
        rf"(?:奖{GRADE}?|{GRADE}))(?!励|项|金|池|补|助)",
        "",
    ),
    (rf"国家(?:技术发明|自然科学)奖{GRADE}?", ""),
    (r"中国(?:外观设计)?专利(?:金|银|优秀)?奖", ""),
    (r"(?:中国建设工程)?鲁班奖|(?:中国土木工程)?詹天佑奖", ""),
    (rf"诺贝尔[{CJK}]{{0,4}}?奖(?!金)", ""),
    (r"(?:特级|一级|二级|三级)?航天功勋奖章|(?:友谊|共和国|七一|八一)勋章", ""),
    (r"(?:集体)?[一二三]等功(?!能|率|耗|效|夫)", ""),
    (rf"(?<=获){GRADE}", ""),
]
TITLE_RES: list[tuple[re.Pattern[str], str]] = [(re.compile(p), needs) for p, needs in _SPECS]
COUNT_AFTER = re.compile(r"^(?:[0-9]+|[一二三四五六七八九十百千]+)(?:余|多)?(?:家|个|件|项|款|座)")
# a quoted title: before 称号, or itself an award or medal (“英雄航天员”荣誉称号, 颁发“一级航天功勋奖章”)
QUOTED_RE = re.compile(
    rf"[“\"「]([{CJK}A-Za-z0-9·]{{2,20}}?)[”\"」](?=(?:荣誉)?称号)"
    rf"|[“\"「]([{CJK}]{{2,16}}(?:奖|奖章|勋章|奖状))[”\"」]"
    rf"|[“\"「]([{CJK}]{{1,16}}(?:企业|城市|乡村|村|单位|工厂|园区|基地|集群|平台|产品))[”\"」](?=名单|榜单|名录)"
)
TYPICAL_RE = re.compile(r"行业典型(?!案例|经验|做法|场景|应用|问题|代表|意义|特征|企业)")


def _list_name_start(text: str, size_start: int, blocked: int) -> int:
    """Where a ranking list whose size starts at ``size_start`` begins: its name, grown to the left over
    CJK characters up to a stop word, a non-CJK character, ``blocked`` (the end of a METRIC span) or
    ``LIST_MAX`` characters."""
    start = size_start
    while start > blocked and size_start - start < LIST_MAX and re.match(rf"[{CJK}]", text[start - 1]):
        if LIST_STOP.search(text[max(0, start - 3) : start]):
            break
        start -= 1
    return start


def _lists(text: str, metric: Sequence[Span]) -> list[Span]:
    spans = []
    for m in LIST_RE.finditer(text):
        if any(s.start < m.end() and m.start() < s.end for s in metric):
            continue  # a figure, not a list
        blocked = max((s.end for s in metric if s.end <= m.start()), default=0)
        spans.append(Span(_list_name_start(text, m.start(), blocked), m.end(), "HONOR"))
    return spans


def _typical(text: str) -> list[Span]:
    """X行业典型 (被工信部树为机床装备行业典型): the field's name before it, up to a verb."""
    spans = []
    for m in TYPICAL_RE.finditer(text):
        start = m.start()
        while m.start() - start < 8 and start > 0 and re.match(rf"[{CJK}]", text[start - 1]):
            if any(text[:start].endswith(v) for v in ("树为", "评为", "成为", "列为", "作为", "为", "是", "的")):
                break
            start -= 1
        if start < m.start():
            spans.append(Span(start, m.end(), "HONOR"))
    return spans


def _conferred(text: str, start: int) -> bool:
    """Whether a verb that confers or lists a title (获评, 入选, 认定为…) stands right before ``start``."""
    return CONFER_BEFORE.search(text[max(0, start - 10) : start].rstrip(Q)) is not None


def _in_context(text: str, start: int, end: int, metric: Sequence[Span]) -> bool:
    """Whether the sentence confers, counts or lists the title at ``start:end``."""
    after = text[end:].lstrip(Q)
    if _conferred(text, start) or LIST_AFTER.match(after):
        return True
    return COUNT_AFTER.match(after) is not None or any(s.start == end for s in metric)


def _place_ok(text: str, start: int) -> bool:
    """No name runs into a place-like title starting at ``start`` (昌吉国家高新技术产业开发区 is one LOC)."""
    if start == 0 or text[start - 1] in PLACE_OK_BEFORE or not re.match(rf"[{CJK}]", text[start - 1]):
        return True
    return _conferred(text, start)


def _strip_quotes(text: str, span: Span) -> Span:
    """Quotation marks around a whole title stay outside it (“灯塔工厂” → 灯塔工厂)."""
    s = span.text_in(text)
    if len(s) > 2 and s[0] in QO and s[-1] in QC and not any(c in Q for c in s[1:-1]):
        return Span(span.start + 1, span.end - 1, span.label)
    return span


def _flat(spans: list[Span]) -> list[Span]:
    """The longest of overlapping spans (then the leftmost); sorted."""
    kept: list[Span] = []
    for s in sorted(set(spans), key=lambda s: (-len(s), s.start)):
        if not any(s.overlaps(k) for k in kept):
            kept.append(s)
    return sorted(kept)


def honor_rules(text: str, metric: Sequence[Span] | None = None) -> list[Span]:
    """HONOR spans found by the rules; flat and sorted. ``metric``: the METRIC rule spans of ``text``
    (computed when not given); a list never takes a figure (前10强) and a count after a title is context.

    >>> t = "海尔入选全球“灯塔工厂”,跻身世界500强企业行列,获2023年浙江省科技进步一等奖,位居前10强"
    >>> [s.text_in(t) for s in honor_rules(t)]
    ['全球“灯塔工厂”', '世界500强', '浙江省科技进步一等奖']
    >>> t = "该市现有国家级专精特新“小巨人”企业86家,第五批“灯塔工厂”名单,打造世界级先进制造业集群"
    >>> [s.text_in(t) for s in honor_rules(t)]
    ['国家级专精特新“小巨人”企业', '灯塔工厂']
    """
    metric = metric_rules(text) if metric is None else metric
    spans = _lists(text, metric) + _typical(text)
    for pattern, needs in TITLE_RES:
        for m in pattern.finditer(text):
            start, end = m.span()
            if GOAL_BEFORE.search(text[max(0, start - 8) : start]):
                continue
            if needs == "confer" and not (_conferred(text, start) or LIST_AFTER.match(text[end:].lstrip(Q))):
                continue
            if needs == "context" and not _in_context(text, start, end, metric):
                continue
            if needs == "place" and not _place_ok(text, start):
                continue
            spans.append(Span(start, end, "HONOR"))
    for m in QUOTED_RE.finditer(text):
        group = next(g for g in (1, 2, 3) if m.group(g) is not None)
        spans.append(Span(m.start(group), m.end(group), "HONOR"))
    return _flat([_strip_quotes(text, s) for s in spans])


def rule_spans(text: str) -> list[Span]:
    """The HONOR and METRIC rule spans of ``text``, flat and sorted: an HONOR span wins over a METRIC rule
    span it overlaps (the 三级 in 三级航天功勋奖章: numbers inside names are not METRIC).

    >>> t = "颁发“三级航天功勋奖章”,4个国家先进制造业集群,前10强"
    >>> [(s.text_in(t), s.label) for s in rule_spans(t)]
    [('三级航天功勋奖章', 'HONOR'), ('4个', 'METRIC'), ('国家先进制造业集群', 'HONOR'), ('前10强', 'METRIC')]
    """
    metric = metric_rules(text)
    return merge(honor_rules(text, metric), metric)


def combine_honor(model_spans: list[Span], honor_spans: list[Span], mode: str) -> list[Span]:
    """Model spans and HONOR rule spans: ``none`` the model alone; ``fill`` rule spans added where they overlap
    no model span. Flat and sorted.

    >>> combine_honor([Span(0, 2, "LOC")], [Span(0, 9, "HONOR"), Span(12, 17, "HONOR")], "fill")
    [Span(0, 2, 'LOC'), Span(12, 17, 'HONOR')]
    """
    return merge_by_mode(model_spans, honor_spans, mode, HONOR_MODES, "HONOR rules")
