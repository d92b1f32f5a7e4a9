"""zhner evaluate: honest scores for a model, a prediction file, or a config.

  zhner evaluate --model runs/default --data data/gold/article.jsonl [--out reports/NAME]
      predict the gold sentences with a model directory and score them
  zhner evaluate --predictions PRED.jsonl --data GOLD.jsonl [--train TRAIN.jsonl]
      score predictions made by anything (gold format, matched by id; extra fields such as scores are ignored)
  zhner evaluate --baseline rules-metric --data data/authored/*.jsonl
      score a baseline alone (here: the METRIC rules on sentences they were not written from)
  zhner evaluate cv --config configs/default.yaml --folds 5 [--repeats N] [--set key=value]
      train one model per fold, predict the held-out fold, report pooled scores and mean ± std over folds
      (zhner evaluate cv --help)

Every report has strict entity P/R/F1 per label with 95% bootstrap intervals,
the nervaluate schemes (strict, exact, partial, type), a type-confusion table,
every error, and baselines on the same sentences (METRIC rules, a dictionary of
the training mentions, jieba if installed). It is written as report.json,
report.md, report.html (self-contained) and PNG plots under --out
(default reports/<name>/), and its score table is printed.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from zhner.annotate import cliargs
from zhner.annotate.folds import FOLD_SEED, FOLDS

SOURCES = ("--model", "--predictions", "--baseline")  # exactly one without a sub-command


def build_parser(prog: str = "zhner evaluate") -> argparse.ArgumentParser:
    """`zhner evaluate` (score one system, the default) with the sub-parsers of COMMANDS (cv)."""
    p = cliargs.new_parser(prog, __doc__)
    # argparse cannot require these only without a sub-command (it would ask `zhner evaluate cv` for them): main does
    what = p.add_argument_group(
        f"what to score (required without a sub-command: one of {', '.join(SOURCES)}, and --data)"
    )
    src = what.add_mutually_exclusive_group()
    src.add_argument("--model", metavar="DIR", help="model directory from `zhner train`")
    src.add_argument(
        "--predictions", metavar="FILE", help="prediction file in the gold format, e.g. from `zhner predict`"
    )
    src.add_argument(
        "--baseline", metavar="NAME", help="score a baseline as the system: rules-metric, dictionary (needs --train)"
    )
    what.add_argument("--data", nargs="+", metavar="GOLD", help="gold JSONL file(s) to score against")
    p.add_argument(
        "--train",
        nargs="*",
        default=[],
        metavar="GOLD",
        help="training data of the dictionary baseline (with --predictions, or --baseline dictionary)",
    )
    cliargs.add_corpus(p)
    p.add_argument(
        "--fold",
        type=int,
        metavar="K",
        help=f"with --model or --baseline: score only fold K of {FOLDS} (seed {FOLD_SEED}) of --data, the dev split "
        "that a config training on that file holds out, e.g. the news dev split: --data data/news/train.jsonl --fold 0 "
        "(default: all of --data)",
    )
    p.add_argument(
        "--compare",
        nargs="*",
        default=[],
        metavar="DIR",
        help="with --model: other model directories scored beside it, by their output (`shipped`: the model "
        "that ships with the package), e.g. a fresh `zhner train` against the shipped model",
    )
    p.add_argument("--out", metavar="DIR", help="report directory (default: reports/<model or prediction file name>)")
    _add_lac_python(p)
    cliargs.add_verbose(p, "show tracebacks")
    p.set_defaults(func=cmd_evaluate)
    cliargs.add_subcommands(
        p, COMMANDS, dest="command", title="sub-commands (without one: score --model, --predictions or --baseline)"
    )
    return p


def _add_lac_python(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--lac-python",
        metavar="PYTHON",
        help="interpreter of an environment with LAC (paddlepaddle): the lac+rules baseline from LAC itself "
        "(default: $ZHNER_LAC_PYTHON; without it, from LAC's torch port in models/bundled/lac, same tags)",
    )


def parse_args(argv: Sequence[str], prog: str = "zhner evaluate") -> argparse.Namespace:
    """The parsed command line; ``args.func`` runs it. A usage error exits with status 2, as argparse does."""
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    cliargs.require_subcommand_first(parser, argv, args.command)
    if args.command is None:
        if not (args.model or args.predictions or args.baseline):
            parser.error(f"one of the arguments {' '.join(SOURCES)} is required")
        if not args.data:
            parser.error("the following arguments are required: --data")
    return args


def main(argv: Sequence[str] | None = None, prog: str = "zhner evaluate") -> int:
    args = parse_args(list(sys.argv[1:] if argv is None else argv), prog)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.ERROR, format="%(message)s")
    if args.lac_python:
        import os

        from zhner.evaluation.baselines import LAC_PYTHON

        # absolute: the tagger process starts in a folder of its own (a relative path would not resolve there);
        # not resolved through links (a venv's python is a link whose target is outside the venv)
        os.environ[LAC_PYTHON] = os.path.abspath(args.lac_python)

    from zhner.annotate.gold import GoldError
    from zhner.evaluation import report as rep
    from zhner.evaluation.evaluate import EvaluationError
    from zhner.models.base import BaseModelError
    from zhner.models.modeldir import ModelDirError
    from zhner.models.words import SegmenterUnavailable

    try:
        report, out = args.func(args)
    except (GoldError, EvaluationError, ModelDirError, BaseModelError, SegmenterUnavailable, ValueError) as e:
        # ValueError: ConfigError too
        return cliargs.user_error(e, args.verbose)
    paths = rep.write(report, out)
    print(f"# {report['title']}")
    for k, v in report["about"].items():
        print(f"- {k}: {v}")
    print()
    print(rep.score_table(report))
    if "cv" in report:
        means = report["cv"]["per_label_mean_std"]
        print("\nper-fold micro-F1: " + f"{100 * means['micro'][0]:.1f} ± {100 * means['micro'][1]:.1f}")
    print(f"\nreport: {paths[2]} (also report.md, report.json, plots)", file=sys.stderr)
    return 0


def cmd_evaluate(args: argparse.Namespace) -> tuple[dict, str]:
    """Score a model directory, a baseline or a prediction file (the default); the report and its folder."""
    from zhner.evaluation.evaluate import evaluate_baseline, evaluate_model, evaluate_predictions

    if args.model:
        report = evaluate_model(args.model, args.data, corpus=args.corpus, fold=args.fold, compare=args.compare)
        return report, args.out or f"reports/{Path(args.model).name}"
    if args.baseline:
        report = evaluate_baseline(args.baseline, args.data, train=args.train, corpus=args.corpus, fold=args.fold)
        return report, args.out or f"reports/baseline-{args.baseline}"
    report = evaluate_predictions(args.predictions, args.data, train=args.train, corpus=args.corpus)
    return report, args.out or f"reports/{Path(args.predictions).stem}"


def cmd_cv(args: argparse.Namespace) -> tuple[dict, str]:
    """Cross-validation: train one model per fold, predict the held-out fold, report pooled scores.

      zhner evaluate cv --config configs/default.yaml --folds 5
      zhner evaluate cv --config configs/article.yaml --repeats 3
      zhner evaluate cv --set model.base=runs/pretrain-mini   # the default config on another encoder

    The folds are drawn at sentence level from the config's training data, as
    `zhner annotate folds` does (same seed, same folds); each fold's model is
    trained with the config (and --set) on the other folds. The report pools the
    held-out predictions of every fold and adds mean ± std of the per-fold scores,
    with the same tables, baselines and files as `zhner evaluate` (report.json,
    report.md, report.html and plots under --out).
    """
    from zhner.evaluation.evaluate import cross_validate

    report = cross_validate(
        args.config,
        args.overrides,
        folds=args.folds,
        repeats=args.repeats,
        seed=args.seed,
        progress=(lambda m: None) if args.quiet else (lambda m: print(m, file=sys.stderr)),
    )
    return report, args.out or f"reports/cv-{Path(args.config).stem}"


def _add_cv(p: argparse.ArgumentParser) -> None:
    cliargs.add_config(p, "configs/default.yaml", "training config of every fold's model")
    p.add_argument("--folds", type=int, default=FOLDS, help="number of folds")
    p.add_argument("--repeats", type=int, default=1, help="repeat with fold seeds seed, seed+1, ...")
    p.add_argument("--seed", type=int, default=FOLD_SEED, help="fold seed, as `zhner annotate folds --seed` takes it")
    cliargs.add_overrides(p)
    p.add_argument("--out", metavar="DIR", help="report directory (default: reports/cv-<config name>)")
    _add_lac_python(p)
    cliargs.add_quiet(p, "no per-fold progress lines on stderr")
    cliargs.add_verbose(p, "show tracebacks and training logs")


# sub-command -> (run it, add its options); `zhner evaluate` without one runs cmd_evaluate
COMMANDS = {"cv": (cmd_cv, _add_cv)}
