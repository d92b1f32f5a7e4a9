"""zhner — entities (ORG, LOC, METRIC, HONOR) in Chinese industrial and economic news.

usage: zhner COMMAND [ARGS ...]      (zhner COMMAND --help for each; zhner --version)

commands, in pipeline order:
  annotate   make and check gold data: split, validate, resolve, stats, convert, agree, folds
  train      fine-tune an encoder on gold JSONL from a YAML config (configs/)
  evaluate   score a model or a prediction file against gold data; cross-validation
  predict    run a trained model over new text: files, JSONL streams, stdin

Each command is one stage package and also runs as `python -m PACKAGE`
(annotate, train, evaluation, inference). A stage is imported only when its
command runs, so `zhner annotate ...` starts without loading torch.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# command -> module whose main(argv, prog) runs it and whose build_parser(prog) is its --help
COMMANDS: dict[str, str] = {
    "annotate": "zhner.annotate.cli",
    "train": "zhner.train.cli",
    "evaluate": "zhner.evaluation.cli",
    "predict": "zhner.inference.cli",
}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if argv else 2
    if argv[0] == "--version":
        from importlib.metadata import PackageNotFoundError, version

        try:
            print(f"zhner {version('zh-industry-ner')}")
        except PackageNotFoundError:
            print("zhner (not installed: run from a source tree)")
        return 0
    command, rest = argv[0], argv[1:]
    if command not in COMMANDS:
        print(f"zhner: unknown command {command!r}; choose one of: {', '.join(COMMANDS)}", file=sys.stderr)
        return 2
    try:
        module = importlib.import_module(COMMANDS[command])
    except ModuleNotFoundError as e:
        if e.name and e.name.startswith(COMMANDS[command].split(".")[0]):
            print(f"zhner {command}: this stage is not built yet ({e.name} is missing)", file=sys.stderr)
            return 2
        raise
    return int(module.main(rest, prog=f"zhner {command}") or 0)


def stage_parser(command: str) -> argparse.ArgumentParser:
    """The parser of one command, as `zhner COMMAND --help` shows it (imports that stage's CLI module).

    Its sub-commands, if any, are reachable with ``annotate.cliargs.subcommands``;
    tests/test_cli_help.py walks them all.
    """
    return importlib.import_module(COMMANDS[command]).build_parser(f"zhner {command}")
