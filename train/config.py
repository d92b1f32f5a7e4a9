"""Training configuration: typed dataclasses with one home for every default.

A YAML file in ``configs/`` fills them; a key the dataclasses do not know is
an error naming the key and its section. ``--set section.key=value``
overrides one value: the value is parsed as YAML, must have the type of the
default, and a name without a section is refused.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from zhner.annotate.folds import FOLD_SEED, FOLDS
from zhner.annotate.schema import SCHEMES
from zhner.models.base import ScratchSize
from zhner.train.transfer import TransferSource


class ConfigError(ValueError):
    """A config file or override that cannot be used; the message says which key and why."""


def _f(default, doc: str, **kw):
    if isinstance(default, (list, dict)) or dataclasses.is_dataclass(default):
        factory = (lambda d=default: type(d)(d)) if not dataclasses.is_dataclass(default) else type(default)
        return field(default_factory=factory, metadata={"help": doc}, **kw)
    return field(default=default, metadata={"help": doc}, **kw)


@dataclass
class ModelConfig:
    base: str = _f(
        "models/bundled/zh-char-aux",
        "a local directory (by default the bundled encoder + ORG/LOC stage + news stage taught by e5 and LAC), "
        "a hub name, "
        "or 'scratch' (untrained BERT)",
    )
    head: str = _f("softmax", "classification head (see models.heads.HEADS)")
    scratch: ScratchSize = _f(ScratchSize(), "size of the 'scratch' encoder")
    max_length: int = _f(256, "tokens per window; longer sentences become overlapping windows")
    stride: int = _f(64, "tokens shared by consecutive windows")
    rules: str = _f("override", "METRIC rules with the model at prediction time: none, fill or override (models.rules)")
    honor_rules: str = _f("fill", "HONOR rules at prediction time: none, or fill where the model found nothing")
    word_edges: str = _f(
        "drop",
        "ORG/LOC spans that start or end inside a jieba word at prediction time: none, snap (out to the word, "
        "1 character at most) or drop (models.words; needs jieba)",
    )
    lexicon: str = _f("fill", "training ORG/LOC/HONOR mentions with the model: none, fill or first (models.lexicon)")
    lac_spans: str = _f(
        "none",
        "LAC's ORG/LOC words at prediction time, after the lexicon: none, fill (where the model found nothing) or "
        "first (LAC wins); its torch port in models/bundled/lac (models.taggers.lac_spans)",
    )
    char_features: list[str] = _f(
        [],
        "knowledge sources fed to the encoder as one token type per character: jieba, names, lac "
        "(models.charfeats; [] for none)",
    )
    freeze_embeddings: bool = _f(
        False, "keep the encoder's word-embedding table fixed while fine-tuning (a 250 k-piece table such as e5's)"
    )
    dropout: float | None = _f(
        None, "encoder dropout while fine-tuning (hidden and attention); null: the checkpoint's own (0.1 when bundled)"
    )


@dataclass
class DataConfig:
    train: list[str] = _f(["data/gold/article.jsonl"], "gold JSONL files to train on")
    dev: list[str] = _f([], "gold JSONL files for model selection; empty: hold out dev_fold of the train files")
    extra: list[str] = _f(
        ["data/authored/*.jsonl"],
        "gold JSONL files (globs allowed) always added to training, never cut into dev or test folds",
    )
    corpus: str = _f(
        "",
        "corpus text folder that standoff gold files (data/news/) point into, e.g. ../shared/corpus/text; "
        "empty: $ZHNER_CORPUS",
    )
    folds: int = _f(FOLDS, "folds the train files are cut into when dev is empty")
    dev_fold: int = _f(0, "which fold is the dev set when dev is empty")
    fold_seed: int = _f(FOLD_SEED, "seed of the fold assignment (as `zhner annotate folds --seed`)")
    scheme: str = _f("bio", "tagging scheme: bio or bioes")
    limit: int = _f(0, "use only the first N training sentences (0: all); for quick tests")
    augment: int = _f(0, "mention-replacement copies of each training sentence (0: none); see train.augment")
    augment_prob: float = _f(0.5, "chance that each mention of a copy is swapped for another of the same label")
    augment_width: float = _f(0.0, "chance that a copy flips ASCII and full-width forms (offsets unchanged)")
    augment_gazetteer: bool = _f(False, "add China's administrative divisions (cpca package) to the LOC replacements")
    transfer: list[TransferSource] = _f(
        [], "labelled public corpora added to training (train.transfer); none by default"
    )


@dataclass
class TrainingConfig:
    epochs: int = _f(20, "maximum epochs")
    batch_size: int = _f(8, "sentences (windows) per step, per device")
    grad_accum: int = _f(1, "gradient accumulation steps")
    learning_rate: float = _f(5e-5, "peak learning rate (5e-5 from the bundled stage; random weights want 5e-4)")
    weight_decay: float = _f(0.01, "AdamW weight decay")
    warmup_ratio: float = _f(0.1, "share of steps for linear warm-up")
    early_stopping: int = _f(5, "stop after this many epochs without a better dev micro-F1 (0: never)")
    seed: int = _f(42, "seed of initialisation, shuffling and dropout")
    threads: int = _f(0, "torch CPU threads (0: leave torch's default)")
    bf16: str = _f("auto", "bf16 mixed precision while fine-tuning: true, false, or auto (= false: NaN seen on CUDA)")
    save_fp16: bool = _f(False, "write the model's weights in fp16 (half the size; a checkpoint kept in git)")
    aux_lac: float = _f(
        0.0,
        "weight of an auxiliary loss while training: a linear head predicts LAC's own label of each training "
        "character from the encoder (models.lacnet), so the encoder learns LAC's word and name knowledge; "
        "the head is not saved and prediction needs no LAC (0 = off; train.trainer.AUX_HEAD)",
    )


@dataclass
class Config:
    name: str = _f("default", "run name; the default output is runs/<name>/")
    model: ModelConfig = _f(ModelConfig(), "model section")
    data: DataConfig = _f(DataConfig(), "data section")
    training: TrainingConfig = _f(TrainingConfig(), "training section")

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def _hint(cls) -> dict[str, object]:
    return typing.get_type_hints(cls)


def _coerce(value, hint, where: str):
    """Check ``value`` against a type hint; ints are accepted for floats."""
    origin = typing.get_origin(hint)
    if dataclasses.is_dataclass(hint):
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a mapping, got {value!r}")
        return _build(hint, value, where)
    if origin is dict:
        key_t, val_t = typing.get_args(hint)
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a mapping, got {value!r}")
        return {_coerce(k, key_t, where): _coerce(v, val_t, f"{where}.{k}") for k, v in value.items()}
    if origin is list:
        (item,) = typing.get_args(hint)
        if not isinstance(value, list):
            raise ConfigError(f"{where}: expected a list, got {value!r}")
        return [_coerce(v, item, f"{where}[{i}]") for i, v in enumerate(value)]
    if origin in (typing.Union, types.UnionType):
        for option in typing.get_args(hint):
            try:
                return _coerce(value, option, where)
            except ConfigError:
                continue
        raise ConfigError(f"{where}: {value!r} does not fit {hint}")
    if hint is type(None):
        if value is None:
            return None
        raise ConfigError(f"{where}: expected null, got {value!r}")
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if hint is float and isinstance(value, str):  # YAML 1.1 reads 1e-3 (no dot) as a string
        try:
            return float(value)
        except ValueError:
            pass
    if hint is str and isinstance(value, bool):  # YAML reads true/false as booleans
        return str(value).lower()
    if not isinstance(value, hint) or (hint is int and isinstance(value, bool)):
        raise ConfigError(f"{where}: expected {hint.__name__}, got {type(value).__name__} {value!r}")
    return value


def _build(cls, values: dict, where: str):
    hints = _hint(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    for key in values:
        if key not in names:
            raise ConfigError(f"unknown key {key!r} in section {where or 'top level'}; known: {', '.join(names)}")
    kwargs = {k: _coerce(v, hints[k], f"{where}.{k}" if where else k) for k, v in values.items()}
    return cls(**kwargs)


def parse_override(text: str) -> tuple[list[str], object]:
    """``"training.epochs=20"`` → (["training", "epochs"], 20)."""
    key, sep, raw = text.partition("=")
    if not sep:
        raise ConfigError(f"override {text!r}: expected section.key=value")
    path = key.strip().split(".")
    if len(path) < 2:
        raise ConfigError(f"override {text!r}: name the section too, e.g. training.{key.strip()}={raw}")
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw
    return path, value


def read_values(path: str | Path | None, overrides: list[str] | tuple[str, ...] = ()) -> dict:
    """The raw mapping of a YAML config file with the overrides applied; the run name defaults to the stem."""
    values: dict = {}
    if path is not None:
        p = Path(path)
        if not p.is_file():
            raise ConfigError(f"{path}: config file not found")
        try:
            values = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as e:
            raise ConfigError(f"{path}: invalid YAML: {e}") from None
        if not isinstance(values, dict):
            raise ConfigError(f"{path}: expected a mapping of sections at the top level")
        values.setdefault("name", p.stem)
    for text in overrides:
        keys, value = parse_override(text)
        node = values
        for k in keys[:-1]:
            node = node.setdefault(k, {})
            if not isinstance(node, dict):
                raise ConfigError(f"override {text!r}: {k!r} is not a section")
        node[keys[-1]] = value
    return values


def load_config(path: str | Path | None = None, overrides: list[str] | tuple[str, ...] = ()) -> Config:
    """Defaults ← YAML file ← overrides, type-checked."""
    values = read_values(path, overrides)
    config = _build(Config, values, "")
    from zhner.models.heads import HEADS
    from zhner.models.honor import HONOR_MODES
    from zhner.models.lexicon import LEXICON_MODES
    from zhner.models.rules import RULE_MODES
    from zhner.models.taggers import LAC_MODES
    from zhner.models.words import WORD_EDGE_MODES

    if config.model.head not in HEADS:
        raise ConfigError(f"model.head: {config.model.head!r} is not one of {', '.join(sorted(HEADS))}")
    for key, value, choices in (
        ("model.lexicon", config.model.lexicon, LEXICON_MODES),
        ("model.rules", config.model.rules, RULE_MODES),
        ("model.honor_rules", config.model.honor_rules, HONOR_MODES),
        ("model.word_edges", config.model.word_edges, WORD_EDGE_MODES),
        ("model.lac_spans", config.model.lac_spans, LAC_MODES),
        ("data.scheme", config.data.scheme, tuple(SCHEMES)),
    ):
        if value not in choices:
            raise ConfigError(f"{key}: {value!r} is not one of {', '.join(choices)}")
    from zhner.models.charfeats import SOURCES

    for name in config.model.char_features:
        if name not in SOURCES:
            raise ConfigError(f"model.char_features: {name!r} is not one of {', '.join(sorted(SOURCES))}")
    if config.training.bf16 not in ("auto", "true", "false"):
        raise ConfigError(f"training.bf16: {config.training.bf16!r} is not one of auto, true, false")
    if not 0 <= config.data.dev_fold < config.data.folds:
        raise ConfigError(f"data.dev_fold: {config.data.dev_fold} is not in 0..{config.data.folds - 1}")
    if config.model.stride >= config.model.max_length - 2:
        raise ConfigError("model.stride must be smaller than model.max_length - 2")
    return config
