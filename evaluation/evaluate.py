"""Scoring a model, a prediction file, or a config by cross-validation; each returns the report dict."""

from __future__ import annotations

import contextlib
import copy
import glob
import statistics
import tempfile
from collections.abc import Sequence
from pathlib import Path

from zhner.annotate.folds import FOLD_SEED, FOLDS, assign_folds
from zhner.annotate.gold import GoldError, Record, read_gold, read_many, write_gold
from zhner.annotate.schema import LABELS, Span
from zhner.annotate.standoff import corpus_folder
from zhner.evaluation import report as rep
from zhner.evaluation.baselines import active, notes
from zhner.models.lexicon import match as match_lexicon
from zhner.models.modeldir import BATCH_SIZE
from zhner.models.taggers import lac_words


class EvaluationError(ValueError):
    """Inputs that cannot be scored together; the message says which and why."""


def only_fold(records: list[Record], fold: int | None, folds: int = FOLDS, seed: int = FOLD_SEED) -> list[Record]:
    """The records of one fold (as ``zhner annotate folds`` with its defaults): the dev split a config holds out."""
    if fold is None:
        return records
    if not 0 <= fold < folds:
        raise EvaluationError(f"--fold {fold}: choose 0 to {folds - 1}")
    assignment = assign_folds([r.id for r in records], folds, seed)
    return [r for r in records if assignment[r.id] == fold]


def output_note(lexicon: str, rules: str, honor: str, words: str, whose: str, lac: str = "none") -> str:
    """The report's line that names the row a model (or a config) outputs."""
    return (
        f"model.lexicon = {lexicon}, model.rules = {rules}, model.honor_rules = {honor}, model.word_edges = "
        f"{words}, model.lac_spans = {lac}: {whose} the "
        f"'{rep.configured_row(lexicon, rules, honor, rep.MAIN, words, lac)}' row; 'model' is the network alone"
    )


def baseline_predictions(train: Sequence[Record], test: Sequence[Record]) -> dict[str, list[list[Span]]]:
    out = {}
    for name, factory in active().items():
        predict = factory(train)
        out[name] = [predict(r.text) for r in test]
    return out


def match_predictions(gold: Sequence[Record], pred: Sequence[Record], pred_name: str) -> list[list[Span]]:
    """Predictions in gold order, matched by id; the same text is required for the offsets to mean anything."""
    by_id = {r.id: r for r in pred}
    missing = [r.id for r in gold if r.id not in by_id]
    if missing:
        raise EvaluationError(f"{pred_name}: no prediction for {len(missing)} gold sentence(s), e.g. {missing[:3]}")
    for r in gold:
        if by_id[r.id].text != r.text:
            raise EvaluationError(f"{pred_name}: sentence {r.id!r} has a different text than in the gold file")
    return [by_id[r.id].entities for r in gold]


def evaluate_predictions(
    predictions: str | Path,
    data: Sequence[str | Path],
    *,
    train: Sequence[str | Path] = (),
    corpus: str | Path | None = None,
) -> dict:
    """Report for a prediction file (gold format) against gold files; baselines fit on ``train`` if given."""
    gold = read_many(data, corpus=corpus)
    pred = match_predictions(gold, read_gold(predictions, corpus=corpus), str(predictions))
    train_recs = read_many(train, corpus=corpus) if train else []
    systems = {rep.MAIN: pred, **baseline_predictions(train_recs, gold)}
    about = {"predictions": str(predictions), "data": ", ".join(map(str, data)), **notes()}
    if not train_recs:
        about["dictionary baseline"] = "no training data given (--train): the dictionary is empty"
    return rep.build(gold, systems, title=f"Evaluation of {Path(predictions).name}", about=about)


def evaluate_baseline(
    name: str,
    data: Sequence[str | Path],
    *,
    train: Sequence[str | Path] = (),
    corpus: str | Path | None = None,
    fold: int | None = None,
) -> dict:
    """Report for one baseline as the main system (e.g. the METRIC rules on text they were not written from)."""
    if name not in active():
        raise EvaluationError(f"unknown baseline {name!r}; choose one of: {', '.join(sorted(active()))}")
    gold = only_fold(read_many(data, corpus=corpus), fold)
    train_recs = read_many(train, corpus=corpus) if train else []
    preds = baseline_predictions(train_recs, gold)
    systems = {name: preds.pop(name), **preds}
    about = {
        "system": f"baseline {name}",
        "data": ", ".join(map(str, data)),
        "train": ", ".join(map(str, train)),
        **notes(),
    }
    return rep.build(gold, systems, title=f"Baseline {name}", about=about)


def evaluate_model(
    model: str | Path,
    data: Sequence[str | Path],
    *,
    batch_size: int = BATCH_SIZE,
    corpus: str | Path | None = None,
    fold: int | None = None,
    compare: Sequence[str | Path] = (),
) -> dict:
    """Predict ``data`` with a model directory and score it; says how much of ``data`` the model was trained on.

    ``compare``: other model directories (``shipped``: the shipped model), each scored by its output as a
    row ``compare: NAME``.
    """
    from zhner.inference import Extractor

    gold = only_fold(read_many(data, corpus=corpus), fold)
    extractor = Extractor.load(model, postprocess=False)  # the network alone; the report adds the rest
    meta = extractor.meta
    lexicon_mode, rules_mode, honor_mode, word_mode = meta.lexicon, meta.rules, meta.honor_rules, meta.word_edges
    pred = [[e.span for e in ents] for ents in extractor.extract_many([r.text for r in gold], batch_size)]
    seen = model_texts(extractor, [r.text for r in gold])
    lexicon_spans = [match_lexicon(t, extractor.lexicon) for t in seen]
    data_cfg = extractor.meta.config.get("data", {})
    train_files = [
        f for pattern in data_cfg.get("train", []) + data_cfg.get("extra", []) for f in sorted(glob.glob(pattern))
    ]
    train_recs: list[Record] = []
    for f in train_files:
        # a training file that moved only makes the dictionary baseline smaller
        with contextlib.suppress(GoldError):
            train_recs += read_gold(f, corpus=corpus or data_cfg.get("corpus") or None)
    seen_texts = {r.text for r in train_recs}
    overlap = sum(r.text in seen_texts for r in gold)
    about = {
        "model": str(model),
        "base encoder": f"{extractor.meta.base} ({'pretrained' if extractor.meta.base_trained else 'UNTRAINED'})",
        "data": ", ".join(map(str, data))
        + (f" (fold {fold} of {FOLDS}, seed {FOLD_SEED}, only)" if fold is not None else ""),
        "training files of the model": ", ".join(train_files) or "unknown",
        "output": output_note(lexicon_mode, rules_mode, honor_mode, word_mode, "`zhner predict` gives", meta.lac_spans),
        **notes(),
    }
    if overlap:
        about["WARNING"] = (
            f"{overlap} of {len(gold)} evaluated sentences are in the model's training files "
            "(training or its dev split): these scores flatter the model; use `zhner evaluate cv`"
        )
    unseen = [r for r in train_recs if r.text not in {g.text for g in gold}]
    systems = {rep.MAIN: pred, **baseline_predictions(unseen, gold)}
    for other in compare:
        ex = Extractor.load(None if str(other) == "shipped" else other)
        systems[f"compare: {other}"] = [[e.span for e in ents] for ents in ex.extract_many([r.text for r in gold])]
    return rep.build(
        gold,
        systems,
        title=f"Evaluation of {model}",
        about=about,
        lexicon_spans=lexicon_spans,
        lexicon_mode=lexicon_mode if lexicon_mode != "none" else "first",
        configured=(lexicon_mode, rules_mode, honor_mode, word_mode, meta.lac_spans),
        model_texts=seen,
        lac_spans=lac_words(seen) if meta.lac_spans != "none" else None,
    )


def model_texts(extractor, texts: Sequence[str]) -> list[str]:
    """Each text as the model reads it: Traditional converted to Simplified where the conversion keeps its
    length (OpenCC's always does), so the report's post-processing finds what ``zhner predict`` finds."""
    out = []
    for text in texts:
        aligned = extractor.traditional(text)
        out.append(aligned.text if aligned.source is None else text)
    return out


def cross_validate(
    config: str | Path,
    overrides: Sequence[str] = (),
    *,
    folds: int = FOLDS,
    repeats: int = 1,
    seed: int = FOLD_SEED,
    progress=print,
) -> dict:
    """Train one model per fold on the others, predict the held-out fold, and pool the predictions.

    The gold files of ``data.train`` are cut into ``folds`` folds (as
    ``zhner annotate folds``, seed ``seed + repeat``); inside each training
    part, the trainer holds out its own dev split for model selection, so the
    test fold is never seen. The pooled report covers the first repeat (each
    sentence predicted once); the mean ± std covers every fold of every repeat.
    """
    from zhner.inference import Extractor
    from zhner.train.config import load_config
    from zhner.train.run import expand, run

    base = load_config(config, list(overrides))
    corpus = corpus_folder(base.data.corpus or None)
    records = read_many(expand(base.data.train), corpus=corpus)
    extra = read_many(expand(base.data.extra), corpus=corpus) if base.data.extra else []
    per_fold: list[dict] = []
    pooled: dict[str, dict[str, list[Span]]] = {}
    pooled_lexicon: dict[str, list[Span]] = {}
    with tempfile.TemporaryDirectory(prefix="zhner-cv-") as tmp:
        for r in range(repeats):
            assignment = assign_folds([x.id for x in records], folds, seed + r)
            for k in range(folds):
                train = [x for x in records if assignment[x.id] != k]
                test = [x for x in records if assignment[x.id] == k]
                train_file = Path(tmp) / f"train-{r}-{k}.jsonl"
                write_gold(train_file, train)
                cfg = copy.deepcopy(base)
                cfg.name = f"{base.name}-cv{r}-{k}"
                cfg.data.train, cfg.data.dev, cfg.data.limit = [str(train_file)], [], 0
                out = Path(tmp) / cfg.name
                result = run(cfg, output=out, progress=False)
                extractor = Extractor.load(out, postprocess=False)  # the network alone; the report adds the rest
                pred = [[e.span for e in ents] for ents in extractor.extract_many([x.text for x in test])]
                lexicon = [match_lexicon(x.text, extractor.lexicon) for x in test]
                base_pred = baseline_predictions(train + extra, test)
                fold_scores = rep.score_system(test, pred)["strict"]
                per_fold.append(
                    {
                        "repeat": r,
                        "fold": k,
                        "test_sentences": len(test),
                        "strict": fold_scores,
                        "best_epoch": result["best_epoch"],
                        "seconds": result["seconds"],
                    }
                )
                progress(
                    f"repeat {r + 1}/{repeats} fold {k + 1}/{folds}: {len(test)} test sentences, "
                    f"micro-F1 {100 * fold_scores['micro']['f1']:.1f} ({result['seconds']:.0f} s)"
                )
                if r == 0:
                    for x, p, lx in zip(test, pred, lexicon):
                        pooled.setdefault(rep.MAIN, {})[x.id] = p
                        pooled_lexicon[x.id] = lx
                    for name, preds in base_pred.items():
                        for x, p in zip(test, preds):
                            pooled.setdefault(name, {})[x.id] = p
    systems = {name: [by_id[x.id] for x in records] for name, by_id in pooled.items()}
    cv = {
        "folds": folds,
        "repeats": repeats,
        "seed": seed,
        "per_fold": per_fold,
        "per_label_mean_std": {
            lab: (
                statistics.fmean(f["strict"][lab]["f1"] for f in per_fold),
                statistics.pstdev(f["strict"][lab]["f1"] for f in per_fold),
            )
            for lab in [*LABELS, "micro", "macro"]
        },
    }
    about = {
        "config": f"{config} {' '.join(overrides)}".strip(),
        "base encoder": base.model.base
        if base.model.base != "scratch"
        else f"scratch: UNTRAINED {base.model.scratch.layers}x{base.model.scratch.hidden} BERT (random weights)",
        "data": ", ".join(base.data.train)
        + (f"; always in training: {', '.join(base.data.extra)} ({len(extra)} sentences)" if extra else "")
        + (f"; {base.data.augment} augmented copies per training sentence" if base.data.augment else ""),
        "protocol": f"{folds}-fold cross-validation, seed {seed}; pooled held-out predictions of repeat 1; "
        "model selection on a dev split inside each training part",
        "baselines": "fit on each fold's training part (plus the extra training files) only",
        "output": output_note(
            base.model.lexicon,
            base.model.rules,
            base.model.honor_rules,
            base.model.word_edges,
            "this config's output is",
            base.model.lac_spans,
        ),
        **notes(),
    }
    lexicon_spans = [pooled_lexicon[x.id] for x in records]
    return rep.build(
        records,
        systems,
        title=f"Cross-validation of {base.name}",
        about=about,
        cv=cv,
        lexicon_spans=lexicon_spans,
        lexicon_mode=base.model.lexicon if base.model.lexicon != "none" else "first",
        configured=(
            base.model.lexicon,
            base.model.rules,
            base.model.honor_rules,
            base.model.word_edges,
            base.model.lac_spans,
        ),
        lac_spans=lac_words([x.text for x in records]) if base.model.lac_spans != "none" else None,
    )
