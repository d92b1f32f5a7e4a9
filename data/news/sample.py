"""Seeded sampler of the published-news gold: which corpus sentences get annotated.

Picks sentences with industrial or economic content from ``../shared/corpus/text``
and writes standoff skeletons (no text, no entities) for ``train`` and ``test``:
``{"id", "source", "line", "sha256", "start", "end", "entities": []}``.

How a sentence is chosen, with no model involved:

1. Every line of the finance files (``finance-*``, ``finre-*``), the CCTV
   transcripts (``xwlb-*``) and the Toutiao headlines (``tnews-*``) is split
   into sentences by ``annotate.split.sentence_offsets`` (the annotation tool's
   own splitter).
2. A sentence is a candidate when it has 12–150 characters, is at least half
   CJK, and contains at least two distinct cue words from ``CUES`` (companies,
   regions, output, investment, rankings, awards) — counted, never weighted by
   what any model gets wrong.
3. At most one sentence is taken per corpus line, so train and test never
   share a line (and so never a sentence); the split of a line is decided by
   a hash of its source and number, not by its content.
4. ``random.Random(SEED)`` shuffles the candidates of each group and takes
   ``FINANCE_SHARE`` of each split from the finance files, the rest from CCTV
   and the headlines in proportion to their candidates.
5. A second round, ``SUPPLEMENT``, drew more train sentences the same way with
   ``random.Random(SEED + 1)`` from the lines not yet drawn: the first round's
   1,660 sentences held 3,863 mentions, under the 4,000 the set was sized for.
   Its ids continue the split's numbering (``news-train-1101`` on).

Run from the repository root (the output files are overwritten; annotation
is merged into them afterwards, so use ``--check`` on annotated files)::

    python data/news/sample.py --corpus ../shared/corpus/text            # write skeletons
    python data/news/sample.py --corpus ../shared/corpus/text --check    # the shipped files are this sample
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a script from anywhere

from zhner.annotate.split import sentence_offsets

SEED = 20261203
SIZES = {"train": 1100, "test": 560}
SUPPLEMENT = {"train": 120}  # round 2, seed SEED + 1 (see step 5)
TEST_SHARE = 0.34  # share of corpus lines whose sentences may only go to the test split
FINANCE_SHARE = 0.45
MIN_CHARS, MAX_CHARS = 12, 150
GROUPS = {
    "finance": ("finance-", "finre-"),
    "news": ("xwlb-", "tnews-"),
}
CUES = [
    "公司",
    "集团",
    "企业",
    "股份",
    "银行",
    "证券",
    "基金",
    "产业",
    "制造",
    "工业",
    "工厂",
    "园区",
    "开发区",
    "新区",
    "基地",
    "项目",
    "投资",
    "投产",
    "签约",
    "产值",
    "营收",
    "营业收入",
    "利润",
    "净利润",
    "产量",
    "产能",
    "出口",
    "进口",
    "贸易",
    "亿元",
    "万元",
    "亿美元",
    "万吨",
    "万辆",
    "同比",
    "增长",
    "占比",
    "市场",
    "份额",
    "排名",
    "位居",
    "第一",
    "百强",
    "500强",
    "榜单",
    "入选",
    "获评",
    "荣获",
    "示范",
    "称号",
    "奖",
    "经济",
    "科技",
    "研究院",
    "协会",
    "总部",
    "上市",
    "收购",
    "并购",
    "订单",
    "集群",
    "龙头",
    "专精特新",
]


def _cjk_share(text: str) -> float:
    return sum("\u4e00" <= ch <= "\u9fff" for ch in text) / len(text)


def _cues(text: str) -> int:
    return sum(cue in text for cue in CUES)


def line_split(source: str, line: int) -> str:
    """The split a corpus line belongs to, from a hash of its name and number (content-blind)."""
    h = int(hashlib.sha256(f"{source}:{line}".encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return "test" if h < TEST_SHARE else "train"


def candidates(corpus: Path) -> dict[tuple[str, str], list[dict]]:
    """Candidate sentences by (split, group), at most one per line (the first that qualifies)."""
    out: dict[tuple[str, str], list[dict]] = {(s, g): [] for s in SIZES for g in GROUPS}
    for path in sorted(corpus.glob("*.txt")):
        group = next((g for g, prefixes in GROUPS.items() if path.name.startswith(prefixes)), None)
        if group is None:
            continue
        with open(path, encoding="utf-8", newline="") as fh:
            for n, raw in enumerate(fh, 1):
                text = raw.rstrip("\n").rstrip("\r")
                for a, b in sentence_offsets(text):
                    sent = text[a:b]
                    if MIN_CHARS <= len(sent) <= MAX_CHARS and _cjk_share(sent) >= 0.5 and _cues(sent) >= 2:
                        out[(line_split(path.name, n), group)].append(
                            {
                                "source": path.name,
                                "line": n,
                                "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
                                "start": a,
                                "end": b,
                            }
                        )
                        break
    return out


def sample(corpus: Path) -> dict[str, list[dict]]:
    """The seeded sample: ``{split: [standoff skeleton, ...]}`` in corpus order, ids ``news-{split}-NNNN``."""
    pools = candidates(corpus)
    rng = random.Random(SEED)
    result: dict[str, list[dict]] = {}
    for split, size in SIZES.items():
        n_fin = round(size * FINANCE_SHARE)
        picked = rng.sample(pools[(split, "finance")], n_fin) + rng.sample(pools[(split, "news")], size - n_fin)
        picked.sort(key=lambda r: (r["source"], r["line"]))
        result[split] = [{"id": f"news-{split}-{i:04d}", **r, "entities": []} for i, r in enumerate(picked, 1)]
    rng2 = random.Random(SEED + 1)
    for split, size in SUPPLEMENT.items():
        taken = {(r["source"], r["line"]) for r in result[split]}
        n_fin = round(size * FINANCE_SHARE)
        rest = {g: [r for r in pools[(split, g)] if (r["source"], r["line"]) not in taken] for g in GROUPS}
        more = rng2.sample(rest["finance"], n_fin) + rng2.sample(rest["news"], size - n_fin)
        more.sort(key=lambda r: (r["source"], r["line"]))
        first = len(result[split]) + 1
        result[split] += [{"id": f"news-{split}-{i:04d}", **r, "entities": []} for i, r in enumerate(more, first)]
    return result


def _key(rec: dict) -> tuple:
    return rec["id"], rec["source"], rec["line"], rec["sha256"], rec["start"], rec["end"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", default="../shared/corpus/text", help="folder of corpus text files")
    ap.add_argument("--out", default=str(Path(__file__).parent), help="folder for train.jsonl and test.jsonl")
    ap.add_argument("--check", action="store_true", help="compare the files in --out with the sample, write nothing")
    args = ap.parse_args(argv)
    corpus = Path(args.corpus)
    if not corpus.is_dir():
        print(f"{corpus}: no such folder (the corpus is ../shared/corpus/text)", file=sys.stderr)
        return 2
    drawn = sample(corpus)
    status = 0
    for split, records in drawn.items():
        path = Path(args.out) / f"{split}.jsonl"
        if args.check:
            with open(path, encoding="utf-8") as fh:
                shipped = [json.loads(line) for line in fh if line.strip()]
            same = [_key(r) for r in shipped] == [_key(r) for r in records]
            print(f"{path}: {'matches' if same else 'DIFFERS FROM'} the seeded sample ({len(records)} sentences)")
            status |= not same
            continue
        with open(path, "w", encoding="utf-8", newline="\n") as fh:
            for rec in records:
                fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
        fin = sum(r["source"].startswith(GROUPS["finance"]) for r in records)
        print(f"{path}: {len(records)} sentences, {fin / len(records):.0%} from the finance files")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
