"""The pretraining corpus: text lines from each kind of input file, and the cache of packed blocks.

Lines are deduplicated, a hashed slice is held out for perplexity, and the rest
is tokenised once with ``datasets`` into packed blocks of ``block_size`` tokens
(no padding), cached on disk as memory-mapped numpy arrays (``train.npy``,
``heldout.npy``, and with ``data.whole_word`` the word starts beside them).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from zhner.annotate.formats import read_char_tags
from zhner.train.config import ConfigError
from zhner.train.pretrain.config import PretrainConfig

log = logging.getLogger("zhner.pretrain")
SUFFIXES = (".txt", ".jsonl", ".json", ".bio")  # the kinds of file a folder of inputs is searched for


def iter_lines(path: Path) -> Iterator[str]:
    """Text lines of one corpus file, by its kind."""
    if path.suffix == ".bio":  # one "char TAG" a line, blank line between sentences: its text only
        for text, _ in read_char_tags(path):
            yield text
        return
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if path.suffix in (".jsonl", ".json"):
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError:
                    continue
                text = obj.get("text") if isinstance(obj, dict) else None
                if isinstance(text, str):
                    yield text
            else:
                yield line.rstrip("\n")


def corpus_files(inputs: list[str]) -> list[Path]:
    files: list[Path] = []
    for item in inputs:
        p = Path(item)
        if p.is_dir():
            files += sorted(f for f in p.rglob("*") if f.suffix in SUFFIXES)
        elif p.is_file():
            files.append(p)
        else:
            raise ConfigError(f"data.inputs: {item} does not exist")
    return files


def _held_out(line: str, share: float) -> bool:
    h = int.from_bytes(hashlib.blake2b(line.encode("utf-8"), digest_size=8).digest(), "big")
    return h / 2**64 < share


def _inputs(cfg: PretrainConfig) -> list[Path]:
    cache_root = Path(cfg.data.cache_dir).resolve()
    return [f for f in corpus_files(cfg.data.inputs) if cache_root not in f.resolve().parents]


def blocks_folder(cfg: PretrainConfig, tokenizer, files: list[Path] | None = None) -> Path:
    """The cache folder of ``cfg``'s packed blocks: ``data.blocks``, or one keyed by inputs and tokenizer."""
    if cfg.data.blocks:
        return Path(cfg.data.blocks)
    files = _inputs(cfg) if files is None else files
    key = hashlib.sha1(
        json.dumps(
            [[str(f.resolve()), f.stat().st_size, f.stat().st_mtime_ns] for f in files]
            + [cfg.data.block_size, cfg.data.holdout, cfg.data.max_lines, len(tokenizer), tokenizer.name_or_path]
            + (["whole_word"] if cfg.data.whole_word else [])
        ).encode()
    ).hexdigest()[:16]
    return Path(cfg.data.cache_dir) / key


def build_blocks(cfg: PretrainConfig, tokenizer) -> tuple[np.ndarray, np.ndarray]:
    """(train blocks, held-out blocks): arrays of token ids, one packed block a row, cached on disk."""
    if cfg.data.blocks:
        return load_blocks(Path(cfg.data.blocks), cfg.data.block_size, len(tokenizer))
    from datasets import Dataset, Features, Value

    files = _inputs(cfg)
    cache = blocks_folder(cfg, tokenizer, files)
    if (cache / "train.npy").is_file():
        log.info("corpus: cached blocks %s", cache)
        return load_blocks(cache, cfg.data.block_size, len(tokenizer))

    seen: set[bytes] = set()
    kept = {"train": 0, "heldout": 0, "duplicates": 0}

    def lines(split: str) -> Iterator[dict]:
        n = 0
        for f in files:
            for line in iter_lines(f):
                line = line.strip()
                if len(line) < 2:
                    continue
                digest = hashlib.blake2b(line.encode("utf-8"), digest_size=12).digest()
                if split == "train":
                    if digest in seen:
                        kept["duplicates"] += 1
                        continue
                    seen.add(digest)
                if _held_out(line, cfg.data.holdout) == (split == "heldout"):
                    kept[split] += 1
                    yield {"text": line}
                n += 1
                if cfg.data.max_lines and n >= cfg.data.max_lines:
                    return

    size = cfg.data.block_size - 2
    cls_id, sep_id = tokenizer.cls_token_id, tokenizer.sep_token_id
    segment = _segmenter() if cfg.data.whole_word else None

    def pack(batch: dict) -> dict:
        enc = tokenizer([list(t) for t in batch["text"]], is_split_into_words=True, add_special_tokens=False)
        stream: list[int] = []
        flags: list[int] = []  # 1 where a token starts a word (whole-word masking), specials included
        for k, ids in enumerate(enc["input_ids"]):
            stream += [*ids, sep_id]
            if segment is not None:
                starts = segment(batch["text"][k])
                chars = enc.word_ids(k)
                flags += [
                    int(c is not None and c in starts and (j == 0 or chars[j - 1] != c)) for j, c in enumerate(chars)
                ]
                flags.append(1)
        blocks = [[cls_id, *stream[i : i + size], sep_id] for i in range(0, len(stream) - size + 1, size)]
        if segment is None:
            return {"input_ids": blocks}
        starts = [[1, *flags[i : i + size], 1] for i in range(0, len(stream) - size + 1, size)]
        return {"input_ids": blocks, "starts": starts}

    out = []
    Path(cfg.data.cache_dir).mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=Path(cfg.data.cache_dir)))
    try:
        for split in ("train", "heldout"):
            if split == "train":
                if not any(True for _ in lines("train")):
                    raise ConfigError(f"data.inputs: no text line of 2 or more characters in {cfg.data.inputs}")
                seen.clear()
                kept.update(train=0, duplicates=0)
            features = Features({"text": Value("string")})
            if split == "train":  # streamed to disk: the whole corpus never sits in memory
                ds = Dataset.from_generator(
                    lines, gen_kwargs={"split": split}, cache_dir=str(tmp / "gen"), features=features
                )
            else:  # a small slice, possibly empty
                ds = Dataset.from_dict({"text": [x["text"] for x in lines(split)]}, features=features)
            if len(ds):
                ds = ds.map(pack, batched=True, batch_size=2000, remove_columns=["text"], desc=f"packing {split}")
            _write_blocks(tmp / f"{split}.npy", ds, cfg.data.block_size, len(tokenizer))
            if segment is not None:
                _write_blocks(tmp / f"{split}.starts.npy", ds, cfg.data.block_size, 2, column="starts")
            out.append(split)
        cache.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(tmp / "gen", ignore_errors=True)
        os.replace(tmp, cache)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if not len(np.load(cache / "train.npy", mmap_mode="r")):
        shutil.rmtree(cache, ignore_errors=True)
        raise ConfigError(f"the corpus is too small: no block of {cfg.data.block_size} tokens could be packed")
    log.info(
        "corpus: %d train lines, %d held out, %d duplicates dropped -> %s",
        kept["train"],
        kept["heldout"],
        kept["duplicates"],
        cache,
    )
    return load_blocks(cache, cfg.data.block_size, len(tokenizer))


def _segmenter():
    """A function from a line to the character offsets where its jieba words start."""
    try:
        import jieba
    except ImportError as e:
        raise ConfigError("data.whole_word needs jieba: pip install jieba") from e
    jieba.setLogLevel(logging.WARNING)

    def starts(text: str) -> set[int]:
        offsets, pos = set(), 0
        for word in jieba.cut(text, HMM=True):
            offsets.add(pos)
            pos += len(word)
        return offsets

    return starts


def _block_dtype(vocab_size: int) -> type:
    return np.uint8 if vocab_size <= 2**8 else np.uint16 if vocab_size <= 2**16 else np.int32


def _write_blocks(path: Path, ds, block_size: int, vocab_size: int, column: str = "input_ids") -> None:
    """One column of a dataset's packed blocks as one (blocks, block_size) array, written in chunks."""
    arr = np.lib.format.open_memmap(path, mode="w+", dtype=_block_dtype(vocab_size), shape=(len(ds), block_size))
    if len(ds):
        for i, chunk in enumerate(ds.with_format("numpy").iter(batch_size=8192)):
            rows = np.asarray(chunk[column])
            arr[i * 8192 : i * 8192 + len(rows)] = rows
    arr.flush()
    del arr


def load_blocks(folder: Path, block_size: int, vocab_size: int) -> tuple[np.ndarray, np.ndarray]:
    """(train, held-out) blocks of a cache folder, memory-mapped; held-out may have no rows."""
    arrays = []
    for split in ("train", "heldout"):
        f = folder / f"{split}.npy"
        if not f.is_file():
            raise ConfigError(f"data.blocks: {f} does not exist (a cache folder holds train.npy and heldout.npy)")
        a = np.load(f, mmap_mode="r")
        if a.ndim != 2 or a.shape[1] != block_size:
            raise ConfigError(f"{f}: blocks of shape {a.shape}, but data.block_size is {block_size}")
        if len(a) and int(a[: min(len(a), 4096)].max()) >= vocab_size:
            raise ConfigError(f"{f}: token ids beyond the tokenizer's {vocab_size} (made with another vocabulary)")
        arrays.append(a)
    return arrays[0], arrays[1]


def load_starts(cfg: PretrainConfig, tokenizer) -> tuple[np.ndarray, np.ndarray] | None:
    """Word-start flags beside the blocks (train, held-out) when ``data.whole_word`` is on, else None."""
    if not cfg.data.whole_word:
        return None
    folder = blocks_folder(cfg, tokenizer)
    arrays = []
    for split in ("train", "heldout"):
        f = folder / f"{split}.starts.npy"
        if not f.is_file():
            raise ConfigError(f"data.whole_word: {f} does not exist (build the cache with data.whole_word: true)")
        arrays.append(np.load(f, mmap_mode="r"))
    return arrays[0], arrays[1]
