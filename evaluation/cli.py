"""zhner evaluate: honest scores for a model, a prediction file, or a config.

  zhner evaluate --model runs/default --data data/gold/article.jsonl [--out reports/NAME]
      predict the gold sentences with a model directory and score them
  zhner evaluate --predictions PRED.jsonl --data GOLD.jsonl [--train TRAIN.jsonl]
      score predictions made by anything (gold format, matched by id; extra fields such as scores are ignored)
  zhner evaluate --baseline rules-metric --data data/authored/*.jsonl
      score a baseline alone (here: the METRIC rules on sentences they were not written from)
  zhner evaluate cv --config configs/default.yaml --folds 5 [--repeats N] [--set key=value]
      train one model per fold, predict the held-out fold, report pooled scores and mean ± std over folds

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


def build_parser(prog: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=prog, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--model", help="model directory from `zhner train`")
    src.add_argument("--predictions", help="prediction file in the gold format (e.g. from `zhner predict`)")
    src.add_argument("--baseline", help="score a baseline as the system: rules-metric, dictionary (needs --train)")
    p.add_argument("--data", nargs="+", required=True, help="gold JSONL file(s) to score against")
    p.add_argument(
        "--train", nargs="*", default=[], help="with --predictions: training data for the dictionary baseline"
    )
    p.add_argument(
        "--corpus",
        metavar="DIR",
        help="corpus text folder that standoff gold (data/news/) points into (default $ZHNER_CORPUS)",
    )
    p.add_argument(
        "--fold",
        type=int,
        metavar="K",
        help="with --model or --baseline: score only fold K of 5 (seed 13) of --data, the dev split that a "
        "config training on that file holds out (e.g. the news dev split: --data data/news/train.jsonl --fold 0)",
    )
    p.add_argument("--out", help="report directory (default reports/<model or prediction file name>)")
    p.add_argument(
        "--lac-python",
        metavar="PYTHON",
        help="interpreter of an environment with LAC (paddlepaddle): adds the lac+rules baseline "
        "(default $ZHNER_LAC_PYTHON; without it the report says the row is missing)",
    )
    p.add_argument("--verbose", action="store_true", help="show tracebacks")
    return p


def build_cv_parser(prog: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=f"{prog} cv", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--config", default="configs/default.yaml", help="training config (default configs/default.yaml)")
    p.add_argument("--folds", type=int, default=5, help="number of folds (default 5)")
    p.add_argument("--repeats", type=int, default=1, help="repeat with fold seeds seed, seed+1, ... (default 1)")
    p.add_argument("--seed", type=int, default=13, help="fold seed (default 13, as `zhner annotate folds`)")
    p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="SECTION.KEY=VALUE",
        help="config override, as in `zhner train`",
    )
    p.add_argument("--out", help="report directory (default reports/cv-<config name>)")
    p.add_argument(
        "--lac-python",
        metavar="PYTHON",
        help="interpreter of an environment with LAC (paddlepaddle): adds the lac+rules baseline "
        "(default $ZHNER_LAC_PYTHON; without it the report says the row is missing)",
    )
    p.add_argument("--verbose", action="store_true", help="show tracebacks and training logs")
    return p


def main(argv: Sequence[str] | None = None, prog: str = "zhner evaluate") -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    cv = bool(argv) and argv[0] == "cv"
    args = (build_cv_parser(prog) if cv else build_parser(prog)).parse_args(argv[1:] if cv else argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.ERROR, format="%(message)s")
    if args.lac_python:
        import os

        from evaluation.baselines import LAC_PYTHON

        os.environ[LAC_PYTHON] = args.lac_python

    from annotate.gold import GoldError
    from evaluation import report as rep
    from evaluation.evaluate import (
        EvaluationError,
        cross_validate,
        evaluate_baseline,
        evaluate_model,
        evaluate_predictions,
    )
    from models.base import BaseModelError
    from models.modeldir import ModelDirError
    from train.config import ConfigError

    try:
        if cv:
            report = cross_validate(
                args.config,
                args.overrides,
                folds=args.folds,
                repeats=args.repeats,
                seed=args.seed,
                progress=lambda m: print(m, file=sys.stderr),
            )
            out = args.out or f"reports/cv-{Path(args.config).stem}"
        elif args.model:
            report = evaluate_model(args.model, args.data, corpus=args.corpus, fold=args.fold)
            out = args.out or f"reports/{Path(args.model).name}"
        elif args.baseline:
            report = evaluate_baseline(args.baseline, args.data, train=args.train, corpus=args.corpus, fold=args.fold)
            out = args.out or f"reports/baseline-{args.baseline}"
        else:
            report = evaluate_predictions(args.predictions, args.data, train=args.train, corpus=args.corpus)
            out = args.out or f"reports/{Path(args.predictions).stem}"
    except (GoldError, EvaluationError, ModelDirError, BaseModelError, ConfigError, ValueError) as e:
        if args.verbose:
            raise
        print(f"error: {e}", file=sys.stderr)
        return 1
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
