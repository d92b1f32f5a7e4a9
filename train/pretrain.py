"""Masked-language-model pretraining of a small Chinese BERT, fast on a CPU and safe to interrupt.

    zhner train pretrain --config configs/pretrain-mini.yaml [--output DIR] [--resume] [--set ...]

- Corpus: text files and folders (one paragraph a line), JSONL files with a
  ``text`` field, CLUENER JSON and char/BIO files (their text only), and gold
  JSONL. Lines are deduplicated, a hashed slice is held out for perplexity,
  and the rest is tokenised once with ``datasets`` into packed blocks of
  ``block_size`` tokens (no padding), cached on disk as memory-mapped numpy
  arrays (``train.npy``, ``heldout.npy``); a rerun reuses the cache, and
  ``data.blocks`` trains from such a folder on a machine without the corpus.
- Tokenisation is the fine-tuning one: every character a pre-split word.
- Speed: bf16 autocast (CPU or CUDA), the output layer computed only at the
  masked positions, masking done where the model runs.
- ``training.max_minutes`` bounds a run by time (a GPU lease): the learning
  rate decays over whichever budget, tokens or minutes, ends first.
- Persistence: a checkpoint (model, optimizer, step, tokens seen) is written
  atomically every ``save_minutes``; ``--resume`` continues from it. The
  output directory's ``model.safetensors`` + tokenizer is a usable
  ``model.base`` for ``zhner train`` at any time.
- ``model.init``: ``scratch`` (random weights over the project vocabulary) or
  any local directory or cached hub name with a BERT checkpoint (continued,
  domain-adaptive pretraining).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import random
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

from models.base import SCRATCH, ScratchSize
from train.config import ConfigError, _build, read_values

log = logging.getLogger("zhner.pretrain")


# --- config -------------------------------------------------------------------------------------


@dataclass
class PretrainModel:
    init: str = "scratch"  # scratch, a local directory or a cached hub name
    scratch: ScratchSize = field(default_factory=ScratchSize)
    dropout: float = 0.0  # during pretraining (no dropout: +60% speed); the saved encoder gets 0.1 for fine-tuning
    attention: str = "eager"  # attention kernel: eager measured faster than sdpa for short blocks on CPU
    embeddings: str = ""  # scratch only: word2vec text file to initialise the word embeddings (train.vectors)


@dataclass
class PretrainData:
    inputs: list[str] = field(default_factory=list)  # files or folders: .txt, .jsonl, .json (CLUENER), .bio
    block_size: int = 128  # tokens per packed block, [CLS] and [SEP] included
    holdout: float = 0.005  # share of lines held out for perplexity
    cache_dir: str = ".cache/pretrain"  # tokenised blocks, keyed by inputs and tokenizer
    max_lines: int = 0  # use at most this many lines (0: all); for quick tests
    blocks: str = ""  # a folder of packed blocks (train.npy, heldout.npy) from a cache: inputs are then not read
    whole_word: bool = False  # mask whole words (jieba segmentation, stored beside the blocks); needs jieba


@dataclass
class PretrainTraining:
    max_tokens: int = 100_000_000  # stop after this many tokens (packed blocks x block_size)
    batch_size: int = 128  # blocks per step
    learning_rate: float = 0.001
    warmup_steps: int = 300
    weight_decay: float = 0.01
    mask_prob: float = 0.15
    bf16: str = "auto"  # auto: CUDA with bf16 support, or a CPU with native bf16
    threads: int = 0  # torch CPU threads (0: default)
    save_minutes: float = 5.0  # checkpoint every this many minutes
    max_minutes: float = 0.0  # stop this run after this many minutes of steps (0: no limit)
    save_fp16: bool = False  # write the encoder's weights in fp16 (half the size; for snapshots kept in git)
    eval_blocks: int = 256  # held-out blocks scored at each checkpoint
    seed: int = 42


@dataclass
class PretrainConfig:
    name: str = "pretrain"
    model: PretrainModel = field(default_factory=PretrainModel)
    data: PretrainData = field(default_factory=PretrainData)
    training: PretrainTraining = field(default_factory=PretrainTraining)


def load_pretrain_config(path: str | Path | None, overrides: list[str] = ()) -> PretrainConfig:
    values = read_values(path, overrides)
    cfg = _build(PretrainConfig, values, "")
    if not cfg.data.inputs and not cfg.data.blocks:
        raise ConfigError("data.inputs: give at least one text file or folder to pretrain on (or data.blocks)")
    return cfg


# --- corpus ---------------------------------------------------------------------------------------


def iter_lines(path: Path) -> Iterator[str]:
    """Text lines of one corpus file, by its kind."""
    if path.suffix == ".bio":  # one "char TAG" a line, blank line between sentences
        chars: list[str] = []
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                line = line.rstrip("\n")
                if not line.strip():
                    if chars:
                        yield "".join(chars)
                    chars = []
                else:
                    chars.append(line.split(" ")[0] if not line.startswith(" ") else " ")
        if chars:
            yield "".join(chars)
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
            files += sorted(f for f in p.rglob("*") if f.suffix in (".txt", ".jsonl", ".json", ".bio"))
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


def _ids(blocks: np.ndarray, rows: np.ndarray | slice, device: torch.device) -> torch.Tensor:
    return torch.from_numpy(np.asarray(blocks[rows], dtype=np.int64)).to(device, non_blocking=True)


# --- model and masking ----------------------------------------------------------------------------


def build_model(cfg: PretrainConfig):
    """(BertForMaskedLM, tokenizer) from scratch or from an existing checkpoint."""
    from transformers import AutoTokenizer, BertConfig, BertForMaskedLM

    from models.base import resolve
    from models.vocab import build_tokenizer

    drop = {"hidden_dropout_prob": cfg.model.dropout, "attention_probs_dropout_prob": cfg.model.dropout}
    if cfg.model.init == SCRATCH:
        tokenizer = build_tokenizer()
        s = cfg.model.scratch
        config = BertConfig(
            vocab_size=len(tokenizer),
            hidden_size=s.hidden,
            num_hidden_layers=s.layers,
            num_attention_heads=s.heads,
            intermediate_size=s.intermediate,
            max_position_embeddings=s.max_position,
            attn_implementation=cfg.model.attention,
            **drop,
        )
        model = BertForMaskedLM(config)
        if cfg.model.embeddings:
            from train.vectors import init_embeddings

            if not Path(cfg.model.embeddings).is_file():
                raise ConfigError(f"model.embeddings: {cfg.model.embeddings} does not exist (zhner train vectors)")
            n = init_embeddings(model, tokenizer, cfg.model.embeddings)
            log.info("word embeddings: %d of %d rows from %s", n, len(tokenizer), cfg.model.embeddings)
        return model, tokenizer
    if cfg.model.embeddings:
        raise ConfigError("model.embeddings initialises a scratch encoder only (model.init: scratch)")
    where = resolve(cfg.model.init)
    model = BertForMaskedLM.from_pretrained(where, attn_implementation=cfg.model.attention, **drop)
    return model, AutoTokenizer.from_pretrained(where)


def mask_tokens(
    ids: torch.Tensor, tokenizer, prob: float, gen: torch.Generator, starts: torch.Tensor | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """BERT masking (80% [MASK], 10% random, 10% kept) of ``prob`` of each row's non-special tokens.

    Exactly ``round(prob * n)`` positions are chosen in a row of ``n`` maskable
    tokens, so packed blocks always give the same number of predictions per
    batch: constant tensor shapes keep the CPU allocator from fragmenting (with
    a random count, resident memory grew past 8 GB in a long run).
    With ``starts`` (1 where a token begins a word) whole words are chosen:
    every token of a word shares the word's random score, so words are taken
    in score order and only the last word of a row may be cut.
    Returns (masked input ids, labels) with -100 wherever no prediction is asked.
    """
    special = (ids == tokenizer.cls_token_id) | (ids == tokenizer.sep_token_id) | (ids == tokenizer.pad_token_id)
    scores = torch.rand(ids.shape, generator=gen, device=ids.device)
    if starts is not None:  # the score of a token's word: the draw at the word's index
        scores = scores.gather(1, (starts.long().cumsum(dim=1) - 1).clamp(min=0))
    scores = scores.masked_fill(special, 2.0)
    k = ((~special).sum(dim=1, keepdim=True) * prob).round().long()
    ranks = scores.argsort(dim=1, stable=True).argsort(dim=1)
    chosen = ranks < k
    labels = ids.masked_fill(~chosen, -100)
    r = torch.rand(ids.shape, generator=gen, device=ids.device)
    random_ids = torch.randint(5, len(tokenizer), ids.shape, generator=gen, device=ids.device)
    # torch.where, not boolean indexing: no wait for the GPU inside the step
    inputs = torch.where(chosen & (r < 0.8), tokenizer.mask_token_id, ids)
    inputs = torch.where(chosen & (r >= 0.8) & (r < 0.9), random_ids, inputs)
    return inputs, labels


def mlm_loss(model, inputs: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Cross-entropy at the masked positions only: the vocabulary projection never sees the others."""
    hidden = model.bert(input_ids=inputs).last_hidden_state
    where = labels != -100
    logits = model.cls(hidden[where])
    return torch.nn.functional.cross_entropy(logits.float(), labels[where])


# --- checkpoints ---------------------------------------------------------------------------------


def save_encoder(out: Path, model, tokenizer, card: str, *, fp16: bool = False) -> None:
    """model.safetensors + config + tokenizer + README, written atomically into ``out``."""
    from transformers.utils import logging as hf_logging

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        hf_logging.disable_progress_bar()
        try:
            import copy

            to_save = copy.deepcopy(model)
            to_save.config.hidden_dropout_prob = to_save.config.attention_probs_dropout_prob = 0.1  # for fine-tuning
            if fp16:
                to_save = to_save.half()
            to_save.save_pretrained(tmp, safe_serialization=True)
        finally:
            hf_logging.enable_progress_bar()
        tokenizer.save_pretrained(tmp)
        (tmp / "README.md").write_text(card, encoding="utf-8")
        tmp.chmod(0o755)
        for f in tmp.iterdir():
            f.chmod(0o644)
        old = out.with_name(f".{out.name}.old-{os.getpid()}")
        if out.exists():
            os.replace(out, old)
        os.replace(tmp, out)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def save_state(path: Path, model, optimizer, state: dict) -> None:
    tmp = path.with_suffix(".tmp")
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "state": state}, tmp)
    os.replace(tmp, path)


# --- the loop -------------------------------------------------------------------------------------


def _trim_memory() -> None:
    """Give freed heap memory back to the OS (glibc); keeps a long CPU run's resident size flat."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _bf16(setting: str, device: torch.device) -> bool:
    if setting != "auto":
        return setting == "true"
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


@torch.no_grad()
def heldout_loss(model, blocks, tokenizer, cfg: PretrainConfig, device, bf16: bool) -> float:
    model.eval()
    gen = torch.Generator().manual_seed(0)  # the same masks every time (on the CPU): comparable numbers
    n = min(len(blocks), cfg.training.eval_blocks)
    total, count = 0.0, 0
    for i in range(0, n, cfg.training.batch_size):
        ids = _ids(blocks, slice(i, min(n, i + cfg.training.batch_size)), torch.device("cpu"))
        inputs, labels = mask_tokens(ids, tokenizer, cfg.training.mask_prob, gen)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
            loss = mlm_loss(model, inputs.to(device), labels.to(device))
        k = int((labels != -100).sum())
        total, count = total + float(loss) * k, count + k
    model.train()
    return total / max(count, 1)


def pretrain(cfg: PretrainConfig, *, output: str | Path | None = None, resume: bool = False, command: str = "") -> dict:
    """Run (or continue) pretraining; returns the final facts. The output directory is a usable encoder."""
    from tqdm import tqdm

    out = Path(output or f"runs/{cfg.name}")
    state_file = out.with_name(out.name + ".state.pt")
    out.parent.mkdir(parents=True, exist_ok=True)
    if cfg.training.threads:
        torch.set_num_threads(cfg.training.threads)
    torch.manual_seed(cfg.training.seed)
    random.seed(cfg.training.seed)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    model, tokenizer = build_model(cfg)
    train_blocks, held_blocks = build_blocks(cfg, tokenizer)
    word_starts = load_starts(cfg, tokenizer)  # held-out loss stays per token: comparable with or without
    if len(train_blocks) < cfg.training.batch_size:
        raise ConfigError(f"the corpus gives only {len(train_blocks)} blocks, fewer than one batch")
    bf16 = _bf16(cfg.training.bf16, device)
    model.to(device).train()
    decay = [p for n, p in model.named_parameters() if p.ndim > 1]
    no_decay = [p for n, p in model.named_parameters() if p.ndim <= 1]
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": cfg.training.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=cfg.training.learning_rate,
        betas=(0.9, 0.98),
        eps=1e-6,
        fused=device.type == "cuda",
    )
    state = {"step": 0, "tokens": 0, "history": [], "seconds": 0.0, "config": asdict(cfg)}
    if resume and state_file.is_file():
        saved = torch.load(state_file, map_location=device, weights_only=False)
        model.load_state_dict(saved["model"])
        optimizer.load_state_dict(saved["optimizer"])
        state = saved["state"]
        log.info("resumed from %s at step %d (%s tokens)", state_file, state["step"], f"{state['tokens']:,}")
    elif resume and (out / "model.safetensors").is_file():
        from transformers import BertForMaskedLM

        model = BertForMaskedLM.from_pretrained(out, attn_implementation=cfg.model.attention).float()
        model.config.hidden_dropout_prob = model.config.attention_probs_dropout_prob = cfg.model.dropout
        model = model.to(device).train()  # weights only: fresh optimizer
        optimizer = torch.optim.AdamW(
            model.parameters(),
            lr=cfg.training.learning_rate,
            betas=(0.9, 0.98),
            eps=1e-6,
            weight_decay=cfg.training.weight_decay,
        )
        prev = (
            json.loads((out / "pretrain.json").read_text(encoding="utf-8")) if (out / "pretrain.json").is_file() else {}
        )
        state.update({k: prev.get(k, state[k]) for k in ("step", "tokens", "history", "seconds")})
        state["warm_restart"] = state["step"]
        log.info(
            "resumed from the weights in %s (fresh optimizer, short warm-up); %s tokens seen before",
            out,
            f"{state['tokens']:,}",
        )

    block, batch = cfg.data.block_size, cfg.training.batch_size
    per_step = block * batch
    total_steps = math.ceil(cfg.training.max_tokens / per_step)
    start_step = state["step"]
    warm_from = state.get("warm_restart", 0)

    budget = 60 * cfg.training.max_minutes

    def lr_at(step: int, elapsed: float) -> float:
        """Linear warm-up, then linear decay to 5% over whichever budget (tokens, minutes) ends first."""
        warm = cfg.training.warmup_steps if warm_from == 0 else max(20, cfg.training.warmup_steps // 5)
        s = step - warm_from
        if s < warm:
            return cfg.training.learning_rate * (s + 1) / warm
        progress = min(1.0, step / max(total_steps, 1))
        if budget:
            progress = max(progress, min(1.0, elapsed / budget))
        return cfg.training.learning_rate * max(0.05, 1.0 - progress)

    epoch_size = len(train_blocks) // batch
    perms: dict[int, np.ndarray] = {}

    def batch_indices(step: int) -> np.ndarray:
        epoch, k = divmod(step, epoch_size)
        if epoch not in perms:
            perms.clear()
            perms[epoch] = np.random.default_rng([cfg.training.seed, epoch]).permutation(len(train_blocks))
        return perms[epoch][k * batch : (k + 1) * batch]

    gen = torch.Generator(device=device).manual_seed(cfg.training.seed + start_step)
    last_save = time.time()
    t_start = time.time()
    seconds_before = state["seconds"]
    card_facts = {}

    def checkpoint(final: bool = False) -> None:
        elapsed = seconds_before + time.time() - t_start
        state["seconds"] = round(elapsed, 1)
        if len(held_blocks):
            held = heldout_loss(model, held_blocks, tokenizer, cfg, device, bf16)
        else:
            held = float("nan")
            log.warning("no held-out block (corpus too small for data.holdout): no perplexity")
        state["history"].append(
            {"step": state["step"], "tokens": state["tokens"], "heldout_loss": held, "seconds": state["seconds"]}
        )
        card_facts.update(heldout_loss=held, perplexity=math.exp(min(held, 50)))
        save_state(state_file, model, optimizer, state)
        facts = {k: state[k] for k in ("step", "tokens", "seconds", "history")}
        card = encoder_card(cfg, state, held, device, bf16, command)
        save_encoder(out, model, tokenizer, card, fp16=cfg.training.save_fp16)
        (out / "pretrain.json").write_text(
            json.dumps({**facts, "config": asdict(cfg)}, indent=1) + "\n", encoding="utf-8"
        )
        log.info(
            "checkpoint: step %d, %s tokens, held-out loss %.3f (perplexity %.1f)%s",
            state["step"],
            f"{state['tokens']:,}",
            held,
            math.exp(min(held, 50)),
            " [final]" if final else "",
        )

    bar = tqdm(total=total_steps, initial=start_step, unit="step", dynamic_ncols=True)
    smoothed = None
    try:
        for step in range(start_step, total_steps):
            elapsed = time.time() - t_start
            if budget and elapsed >= budget:
                log.info("training.max_minutes reached after %d steps of this run", step - start_step)
                break
            rows = np.sort(batch_indices(step))
            ids = _ids(train_blocks, rows, device)
            starts = _ids(word_starts[0], rows, device) if word_starts is not None else None
            inputs, labels = mask_tokens(ids, tokenizer, cfg.training.mask_prob, gen, starts)
            for group in optimizer.param_groups:
                group["lr"] = lr_at(step, elapsed)
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
                loss = mlm_loss(model, inputs, labels)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            state["step"] = step + 1
            state["tokens"] += per_step
            if device.type == "cpu" or state["step"] % 25 == 0:  # reading the loss waits for the GPU
                value = float(loss.detach())
                smoothed = value if smoothed is None else 0.98 * smoothed + 0.02 * value
                rate = (state["step"] - start_step) * per_step / max(time.time() - t_start, 1e-9)
                bar.set_postfix(loss=f"{smoothed:.3f}", tok_s=f"{rate:,.0f}")
            bar.update(1)
            if state["step"] % 50 == 0:
                _trim_memory()
            if time.time() - last_save > 60 * cfg.training.save_minutes:
                checkpoint()
                last_save = time.time()
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM: keep what was learned since the last checkpoint
        bar.close()
        log.warning("interrupted at step %d: writing a checkpoint before stopping", state["step"])
        checkpoint()
        raise
    bar.close()
    checkpoint(final=True)
    return {
        "output": str(out),
        "step": state["step"],
        "tokens": state["tokens"],
        "heldout_loss": card_facts.get("heldout_loss"),
        "seconds": state["seconds"],
        "tokens_per_second": (state["step"] - start_step) * per_step / max(time.time() - t_start, 1e-9),
    }


def encoder_card(cfg: PretrainConfig, state: dict, held: float, device, bf16: bool, command: str) -> str:
    s = cfg.model.scratch
    arch = (
        f"{s.layers} layers x {s.hidden} hidden, from scratch"
        + (f", word embeddings initialised from {cfg.model.embeddings}" if cfg.model.embeddings else "")
        if cfg.model.init == SCRATCH
        else f"from {cfg.model.init}"
    )
    steps = f"{state['step']:,} steps of {cfg.training.batch_size} packed blocks of {cfg.data.block_size}"
    history = [(h["step"], h["tokens"], round(h["heldout_loss"], 3)) for h in state["history"][-10:]]
    corpus = ", ".join(cfg.data.inputs) or "-"
    if cfg.data.blocks:
        corpus = f"packed blocks in {cfg.data.blocks} (a cache built from the corpus inputs elsewhere)"
    hardware = torch.cuda.get_device_name(device) if device.type == "cuda" else device.type
    return f"""# Pretrained encoder: {cfg.name}

BERT masked-language model ({arch}) over the project's character vocabulary, for `model.base` in `zhner train`.

- Corpus inputs: {corpus} (lines deduplicated; {cfg.data.holdout:.1%} held out by hash)
- Tokens seen: {state["tokens"]:,} in {steps}
- Held-out MLM loss: {held:.3f} (perplexity {math.exp(min(held, 50)):.1f}) over the masked positions
- Hardware: {hardware}{", bf16 autocast" if bf16 else ""}; {state["seconds"] / 60:.1f} minutes of pretraining
- Reproduce: `{command or "zhner train pretrain --config <config>"}` (add `--resume` to continue)

History (step, tokens, held-out loss): {history}
"""
