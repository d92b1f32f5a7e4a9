"""Training data: gold files and the dev split, transfer and augmented sentences, windows as dataset rows.

:func:`split_data` reads what a config names (gold, extra, transfer sources,
augmentation) and holds out the dev sentences; :func:`encode_all` aligns them
into token windows; :func:`to_dataset` makes the rows the Trainer reads.
"""

from __future__ import annotations

import glob
from dataclasses import dataclass

from tqdm.auto import tqdm
from zhner.annotate import SCHEMES, Record, read_many
from zhner.annotate.folds import assign_folds
from zhner.annotate.standoff import corpus_folder
from zhner.models.charfeats import CharFeatures
from zhner.models.features import IGNORE, Encoded, encode_batch
from zhner.models.lexicon import names as lexicon_names
from zhner.train.augment import augment, gazetteer_places
from zhner.train.config import Config, ConfigError
from zhner.train.transfer import load_source


@dataclass
class Split:
    train: list[Record]
    dev: list[Record]
    description: str


def expand(patterns: list[str]) -> list[str]:
    """File names, with globs expanded (sorted); a pattern that matches nothing is an error."""
    files: list[str] = []
    for pattern in patterns:
        matched = sorted(glob.glob(pattern)) if glob.has_magic(pattern) else [pattern]
        if not matched:
            raise ConfigError(f"no file matches {pattern!r}")
        files += matched
    return files


def split_data(cfg: Config) -> Split:
    """Train and dev sentences: dev files if given, else one fold of the train files.

    ``data.extra`` files are added to training only; augmentation copies are
    made from the training part only, after the dev split.
    """
    corpus = corpus_folder(cfg.data.corpus or None)  # one Corpus: each file is read once for all the lists
    records = read_many(expand(cfg.data.train), corpus=corpus)
    if cfg.data.dev:
        train, dev = records, read_many(expand(cfg.data.dev), corpus=corpus)
        how = f"dev = {', '.join(cfg.data.dev)}"
    else:
        folds = assign_folds([r.id for r in records], cfg.data.folds, cfg.data.fold_seed)
        train = [r for r in records if folds[r.id] != cfg.data.dev_fold]
        dev = [r for r in records if folds[r.id] == cfg.data.dev_fold]
        how = f"dev = fold {cfg.data.dev_fold} of {cfg.data.folds} (seed {cfg.data.fold_seed})"
    if cfg.data.limit:
        train = train[: cfg.data.limit]
    if cfg.data.extra:
        extra = read_many(expand(cfg.data.extra), corpus=corpus)
        clash = {r.id for r in extra} & {r.id for r in records}
        if clash:
            raise ConfigError(f"data.extra repeats ids of data.train, e.g. {sorted(clash)[:3]}")
        train = train + extra
        how += f"; + {len(extra)} extra training sentences"
    for source in cfg.data.transfer:
        try:
            sentences = load_source(source)
        except ValueError as e:
            raise ConfigError(f"data.transfer: {e}") from None
        train = train + sentences
        how += f"; + {len(sentences)} transfer sentences from {source.path} ({source.partial})"
    if cfg.data.augment:
        places = gazetteer_places() if cfg.data.augment_gazetteer else ()
        copies = augment(
            train,
            cfg.data.augment,
            prob=cfg.data.augment_prob,
            width=cfg.data.augment_width,
            seed=cfg.training.seed,
            places=places,
        )
        train = train + copies
        how += f"; + {len(copies)} augmented copies"
    return Split(train, dev, how)


def encode_all(
    records: list[Record], tokenizer, cfg: Config, label2id: dict[str, int], features: CharFeatures | None = None
) -> list[Encoded]:
    """Windows with token labels; with ``features``, token types too (computed here, with a progress bar)."""
    char_ids = None
    if features is not None:
        texts = [r.text for r in records]
        char_ids = []
        for k in tqdm(range(0, len(texts), 256), desc="char features", unit="batch", disable=len(texts) < 2048):
            char_ids.extend(features(texts[k : k + 256]))
    return encode_batch(
        tokenizer,
        [r.text for r in records],
        max_length=cfg.model.max_length,
        stride=cfg.model.stride,
        spans=[r.entities for r in records],
        label2id=label2id,
        scheme=SCHEMES[cfg.data.scheme],
        char_ids=char_ids,
    )


def to_dataset(
    encoded: list[Encoded], masks: list[list[int]] | None = None, aux: list[list[int]] | None = None
) -> list[dict]:
    """Windows as rows (a list is a map-style dataset for the Trainer); with ``masks`` (one per sentence),
    each row also carries its ``tag_mask``; with ``aux`` (one label id per character of each sentence), its
    ``aux_labels`` (on each character's first token, -100 elsewhere)."""
    rows = []
    for i, e in enumerate(encoded):
        for w in e.windows:
            row = {"input_ids": w.input_ids, "attention_mask": [1] * len(w.input_ids), "labels": w.labels}
            if w.token_types is not None:
                row["token_type_ids"] = w.token_types
            if masks is not None:
                row["tag_mask"] = masks[i]
            if aux is not None:
                row["aux_labels"] = [aux[i][c] if c >= 0 else IGNORE for c in w.char_index]
            rows.append(row)
    return rows


def row_weights(records: list[Record], encoded: list[Encoded]) -> list[float] | None:
    """Each row's sampling weight (its sentence's ``meta["weight"]``, 1 by default); None when all are 1."""
    weights = [float(r.meta.get("weight", 1.0)) for r, e in zip(records, encoded) for _ in e.windows]
    return None if all(w == 1 for w in weights) else weights


def alignment_report(records: list[Record], encoded: list[Encoded]) -> dict:
    total = sum(len(r.entities) for r in records)
    bad = [(r.id, s.to_list(), s.text_in(r.text), why) for r, e in zip(records, encoded) for s, why in e.unaligned]
    return {"spans": total, "aligned": total - len(bad), "unaligned": bad}


def training_lexicon(records: list[Record]) -> dict[str, str]:
    """ORG/LOC/HONOR surfaces (2+ characters) of the real training sentences (no augmented or transfer copies)."""
    real = [r for r in records if r.meta.get("source") != "augmented" and "annotated" not in r.meta]
    return lexicon_names(real)
