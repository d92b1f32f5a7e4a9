"""Vocabulary pruning of a converted or fine-tuned e5 directory: only the pieces given texts need (issue #19).

e5's table holds 250,037 rows x 384 (96 MB of the 117.5 M parameters); Chinese news uses a few thousand.
:func:`prune` tokenizes every distinct character of the texts the way the project feeds e5 (each character a
pre-split word, :func:`models.base.one_piece_per_character`, so a character's pieces never depend on its
neighbours), keeps those pieces, the special tokens and the lowest-scoring piece (``tokenizers``' Unigram
scores an unknown character ``min score - 10``: keeping the minimum keeps that score, so the segmentation of
every kept character is unchanged), and writes a directory whose Unigram vocabulary and embedding rows are
those, in their old order. Every character of the texts then gets the same vectors as before; any other
character becomes ``<unk>`` (if it had a piece) — fed some other way (the natural pieces, ``"▁"`` + text)
the pruned tokenizer gives ``<unk>`` far more often. Everything but model.safetensors, config.json and the
tokenizer files is copied unchanged.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from zhner.models.e5 import replaceable
from zhner.models.e5file import E5Error
from zhner.models.modeldir import atomic_dir

PRUNED_KEY = "pruned_from"  # in config.json: what the directory was pruned from
WEIGHTS = "model.safetensors"
TOKENIZER = "tokenizer.json"
TOKENIZER_CONFIG = "tokenizer_config.json"
# rows of the vocabulary in these tensors (a masked-LM head tied to the table, if the directory has one)
_VOCAB_ROWS = ("word_embeddings.weight", "decoder.weight", "decoder.bias", "predictions.bias")


def _tokenizer(model_dir: Path):
    from zhner.models.base import load_tokenizer

    return load_tokenizer(str(model_dir))


def piece_ids(tokenizer, chars: Iterable[str]) -> dict[str, list[int]]:
    """Each character's piece ids as the project's alignment produces them (one pre-split word each)."""
    chars = sorted(set(chars))
    if not chars:
        return {}
    enc = tokenizer([[c] for c in chars], is_split_into_words=True, add_special_tokens=False)
    return dict(zip(chars, enc["input_ids"]))


def _replaceable(out: Path) -> bool:
    return not out.exists() or replaceable(out, PRUNED_KEY)


def _remap_template(node, new_id: dict[int, int]):
    """The post-processor with every ``ids`` list of its special tokens remapped."""
    if isinstance(node, dict):
        return {
            k: ([new_id[i] for i in v] if k == "ids" and isinstance(v, list) else _remap_template(v, new_id))
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_remap_template(v, new_id) for v in node]
    return node


def prune(model_dir: str | Path, out_dir: str | Path, texts: Iterable[str]) -> dict:
    """Write ``model_dir`` with only the pieces of ``texts`` (plus specials) to ``out_dir``; returns a summary."""
    from safetensors import safe_open
    from safetensors.numpy import save_file

    start = time.perf_counter()
    src, out = Path(model_dir), Path(out_dir)
    if not (src / TOKENIZER).is_file() or not (src / WEIGHTS).is_file() or not (src / "config.json").is_file():
        raise E5Error(f"{src}: not an e5 model directory (needs {WEIGHTS}, config.json and {TOKENIZER})")
    if out.resolve() == src.resolve():
        raise E5Error(f"{out}: the output must not be the model directory itself")
    if not _replaceable(out):
        raise E5Error(f"{out} exists and is not an earlier pruning; choose another --output or remove it.")
    spec = json.loads((src / TOKENIZER).read_text(encoding="utf-8"))
    model = spec["model"]
    if model.get("type") != "Unigram":
        raise E5Error(f"{src}: the tokenizer is {model.get('type')}, not Unigram (an e5 conversion)")
    vocab = model["vocab"]
    config = json.loads((src / "config.json").read_text(encoding="utf-8"))

    chars = set()
    for t in texts:
        chars.update(t)
    tok = _tokenizer(src)
    before = piece_ids(tok, chars)
    unk = model["unk_id"]
    keep = {i for ids in before.values() for i in ids}
    keep |= {a["id"] for a in spec.get("added_tokens", [])}
    keep |= {config[k] for k in ("pad_token_id", "bos_token_id", "eos_token_id") if config.get(k) is not None}
    keep.add(unk)
    keep.add(min(range(len(vocab)), key=lambda i: vocab[i][1]))  # keeps the unknown-character score
    kept = sorted(keep)
    new_id = {old: new for new, old in enumerate(kept)}

    model["vocab"] = [vocab[i] for i in kept]
    model["unk_id"] = new_id[unk]
    for a in spec.get("added_tokens", []):
        a["id"] = new_id[a["id"]]
    if spec.get("post_processor") is not None:
        spec["post_processor"] = _remap_template(spec["post_processor"], new_id)
    rows_before = config["vocab_size"]
    config["vocab_size"] = len(kept)
    for k in ("pad_token_id", "bos_token_id", "eos_token_id"):
        if config.get(k) is not None:
            config[k] = new_id[config[k]]
    config[PRUNED_KEY] = {"model": str(src), "vocab_size": rows_before, "pieces": len(vocab), "characters": len(chars)}

    index = np.asarray(kept, dtype=np.int64)
    with safe_open(str(src / WEIGHTS), "np") as f:
        metadata = f.metadata() or {"format": "pt"}
        weights = {}
        for name in f.keys():  # noqa: SIM118 (a safe_open handle is not iterable)
            t = f.get_tensor(name)
            if name.endswith(_VOCAB_ROWS) and t.shape[0] == rows_before:
                t = t[index]
            weights[name] = np.ascontiguousarray(t)
    if not any(n.endswith("word_embeddings.weight") for n in weights):
        raise E5Error(f"{src}/{WEIGHTS} has no word_embeddings.weight")

    with atomic_dir(out) as tmp:
        save_file(weights, str(tmp / WEIGHTS), metadata=metadata)
        (tmp / "config.json").write_text(json.dumps(config, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        (tmp / TOKENIZER).write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")
        tc = src / TOKENIZER_CONFIG
        if tc.is_file():
            tconf = json.loads(tc.read_text(encoding="utf-8"))
            if "added_tokens_decoder" in tconf:
                tconf["added_tokens_decoder"] = {
                    str(new_id[int(k)]): v for k, v in tconf["added_tokens_decoder"].items() if int(k) in new_id
                }
            (tmp / TOKENIZER_CONFIG).write_text(json.dumps(tconf, indent=2, ensure_ascii=False) + "\n", "utf-8")
        for p in src.iterdir():
            if p.is_file() and p.name not in (WEIGHTS, "config.json", TOKENIZER, TOKENIZER_CONFIG):
                shutil.copy2(p, tmp / p.name)
        after = piece_ids(_tokenizer(tmp), chars)  # the same pieces, remapped: else nothing is written
        wrong = [c for c, ids in before.items() if after[c] != [new_id[i] for i in ids]]
        if wrong:
            raise E5Error(
                f"the pruned tokenizer splits {len(wrong)} characters differently (first U+{ord(wrong[0]):04X})"
            )
    return {
        "output": str(out),
        "seconds": time.perf_counter() - start,
        "characters": len(chars),
        "pieces_before": len(vocab),
        "pieces_after": len(kept),
        "rows_before": rows_before,
        "bytes_before": (src / WEIGHTS).stat().st_size,
        "bytes_after": (out / WEIGHTS).stat().st_size,
    }
