"""A trained model directory: self-describing, written atomically, loadable without training code.

Contents: ``model.safetensors`` and ``config.json`` (with id2label/label2id, so
``transformers.pipeline("token-classification", model=DIR)`` loads it), the
tokenizer files (including ``tokenizer.json``), ``zhner.json`` (head, tagging
scheme, window sizes, base encoder and the resolved training config), and
whatever extra files the trainer passes (metrics, model card).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from zhner.annotate.schema import LABELS, SCHEMES, Scheme

META_FILE = "zhner.json"
FORMAT_VERSION = 1
PACKAGE = Path(__file__).resolve().parent  # the models/ folder, installed as zhner.models
SHIPPED = PACKAGE / "shipped" / "default"  # the model used when none is named (package data)
BATCH_SIZE = 32  # windows per forward pass when a loaded model predicts (inference, evaluation)
# what loading assumes when an older directory lacks a key of zhner.json
DEFAULTS = {
    "head": "softmax",
    "scheme": "bio",
    "max_length": 512,
    "stride": 64,
    "base": "unknown",
    "base_trained": None,
    "rules": "none",
    "honor_rules": "none",
    "word_edges": "none",
    "lexicon": "none",
    "char_features": [],
    "lac_spans": "none",
}


def packaged(path: str | Path) -> Path:
    """``path`` itself if it exists; a path starting ``models/`` that does not exist there, inside the package.

    So ``model.base: models/bundled/zh-char-news`` and ``--model models/shipped/default`` work from any
    working directory and from an installed wheel, not only from the repository root.

    >>> packaged("models/bundled/zh-char-news").resolve() == PACKAGE / "bundled" / "zh-char-news"
    True
    """
    p = Path(path)
    if not p.exists() and p.parts[:1] == ("models",):
        inside = PACKAGE.joinpath(*p.parts[1:])
        if inside.exists():
            return inside
    return p


class ModelDirError(RuntimeError):
    """A model directory that cannot be loaded; the message names the directory and the reason."""


@dataclass
class ModelMeta:
    head: str
    scheme: str
    max_length: int
    stride: int
    base: str
    base_trained: bool | None
    rules: str = "none"
    honor_rules: str = "none"
    word_edges: str = "none"
    lexicon: str = "none"
    char_features: list[str] = field(default_factory=list)  # models.charfeats sources fed as token types
    lac_spans: str = "none"  # LAC's ORG/LOC words after the lexicon: none, fill, first (models.postprocess)
    config: dict = field(default_factory=dict)

    @property
    def tagging(self) -> Scheme:
        return SCHEMES[self.scheme]


def save(out_dir: str | Path, model, tokenizer, meta: ModelMeta, extra_files: dict[str, str] | None = None) -> Path:
    """Write everything to a temporary sibling directory, then rename it into place.

    An interrupted save leaves only a ``.tmp-*`` directory, never an ``out_dir``
    that looks complete. An existing ``out_dir`` is replaced.
    """
    from transformers.utils import logging as hf_logging

    with atomic_dir(out_dir) as tmp:
        hf_logging.disable_progress_bar()  # no "Writing model shards" bar for a few MB
        try:
            model.save_pretrained(tmp, safe_serialization=True)
        finally:
            hf_logging.enable_progress_bar()
        tokenizer.save_pretrained(tmp)
        record = {"format": FORMAT_VERSION, **meta.__dict__}
        (tmp / META_FILE).write_text(json.dumps(record, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        for name, content in (extra_files or {}).items():
            (tmp / name).write_text(content, encoding="utf-8")
    return Path(out_dir)


@contextlib.contextmanager
def atomic_dir(out_dir: str | Path) -> Iterator[Path]:
    """A temporary sibling of ``out_dir`` to fill; when the block ends it replaces ``out_dir`` (readable by all),
    and on any error it is removed, so an interrupted write never leaves an ``out_dir`` that looks complete."""
    out = Path(out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        yield tmp
        tmp.chmod(0o755)  # mkdtemp makes it private; a model directory is meant to be shared
        for f in tmp.iterdir():
            f.chmod(0o644)
        old = None
        if out.exists():
            old = out.with_name(f".{out.name}.old-{os.getpid()}")
            os.replace(out, old)
        os.replace(tmp, out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def read_meta(model_dir: str | Path) -> ModelMeta:
    """``zhner.json`` of a model directory, with :data:`DEFAULTS` for missing keys."""
    path = Path(model_dir)
    if not path.is_dir():
        raise ModelDirError(f"{model_dir}: no such model directory (train one with `zhner train`)")
    if not (path / "config.json").is_file():
        raise ModelDirError(f"{model_dir}: not a model directory (no config.json)")
    config = json.loads((path / "config.json").read_text(encoding="utf-8"))
    id2label = config.get("id2label") or {}
    labels = {v.split("-", 1)[-1] for v in id2label.values() if v != "O"}
    if not labels or (set(id2label.values()) == {f"LABEL_{i}" for i in range(len(id2label))}):
        raise ModelDirError(f"{model_dir}: config.json has no entity labels in id2label")
    unknown = labels - set(LABELS)
    if unknown:
        raise ModelDirError(f"{model_dir}: labels {sorted(unknown)} are not in the schema {list(LABELS)}")
    raw = {}
    if (path / META_FILE).is_file():
        raw = json.loads((path / META_FILE).read_text(encoding="utf-8"))
    values = {k: raw.get(k, v) for k, v in DEFAULTS.items()}
    if values["scheme"] not in SCHEMES:
        raise ModelDirError(f"{model_dir}: unknown tagging scheme {values['scheme']!r}; known: {sorted(SCHEMES)}")
    return ModelMeta(**values, config=raw.get("config", {}))


def read_lexicon(model_dir: str | Path) -> dict[str, str]:
    """``lexicon.json`` of a model directory (surface → label), or {} if it has none."""
    path = Path(model_dir) / "lexicon.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def load(model_dir: str | Path):
    """(model in eval mode, tokenizer, meta) from a directory written by :func:`save`."""
    import torch
    from transformers import AutoTokenizer
    from transformers.utils import logging as hf_logging
    from zhner.models.heads import get_head

    meta = read_meta(model_dir)
    head = get_head(meta.head)  # an unknown head fails here, naming the known ones
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    hf_logging.disable_progress_bar()  # no "Loading weights" bar for a few MB
    try:
        model = head.from_pretrained(model_dir, dtype=torch.float32)  # fp32 whatever the storage (fp16 bundles)
    finally:
        hf_logging.enable_progress_bar()
    model.eval()
    return model, tokenizer, meta
