"""zhner train: fine-tune an encoder on gold JSONL, from a YAML config.

The config (configs/*.yaml) has sections model, data and training; every key
is documented in configs/default.yaml. Override one value with
--set section.key=value (parsed as YAML, type-checked against the default):

  zhner train --config configs/default.yaml
  zhner train --config configs/tiny.yaml --output runs/try --set training.epochs=5
  zhner train --config configs/default.yaml --resume        # continue an interrupted run
  torchrun --nproc_per_node 2 -m train --config configs/default.yaml   # data-parallel

The output directory (default runs/<config name>/) holds the model, its
tokenizer and label map, the resolved config (zhner.json), per-epoch metrics
(metrics.json, metrics.csv) and a model card (README.md). Next:
  zhner predict --model runs/default FILE.txt
"""

from __future__ import annotations

import argparse
import logging
import os
import shlex
import sys
from collections.abc import Sequence


def build_parser(prog: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=prog, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", default="configs/default.yaml", help="YAML config (default: configs/default.yaml)")
    p.add_argument("--output", help="model directory to write (default: runs/<config name>)")
    p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="SECTION.KEY=VALUE",
        help="override one config value, e.g. training.epochs=20 (repeatable)",
    )
    p.add_argument("--resume", action="store_true", help="continue from the last checkpoint of an interrupted run")
    p.add_argument("--verbose", action="store_true", help="show tracebacks and library logs")
    return p


def main(argv: Sequence[str] | None = None, prog: str = "zhner train") -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "pretrain":
        return pretrain_main(argv[1:], prog=f"{prog} pretrain")
    args = build_parser(prog).parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    from annotate import GoldError
    from models.base import BaseModelError
    from train.config import ConfigError, load_config

    try:
        cfg = load_config(args.config, args.overrides)
        from train.metrics import render
        from train.run import run

        command = " ".join([prog, shlex.join(argv)])
        result = run(cfg, output=args.output, resume=args.resume, command=command)
    except (ConfigError, BaseModelError, GoldError) as e:
        if args.verbose:
            raise
        print(f"error: {e}", file=sys.stderr)
        return 1
    if os.environ.get("RANK", "0") != "0":  # under torchrun, rank 0 reports
        return 0
    print(f"\ndev scores of {result['output']} ({result['dev_split']}, {result['dev_sentences']} sentences):")
    print(render(result["dev"]))
    if not result["base_trained"]:
        print("note: the base encoder is untrained (random weights); see the model card.")
    return 0


PRETRAIN_HELP = """Masked-language-model pretraining of an encoder (from scratch or continued from a checkpoint).

  zhner train pretrain --config configs/pretrain-mini.yaml              # runs/pretrain-mini/
  zhner train pretrain --config configs/pretrain-mini.yaml --resume     # continue after a stop
  zhner train pretrain --config configs/pretrain-mini.yaml --set model.init=bert-base-chinese

The corpus (data.inputs: text files or folders, JSONL with a text field, CLUENER
JSON, char/BIO files) is tokenised once and cached under data.cache_dir
(`--prepare` only does that and prints the folder; `--set data.blocks=FOLDER`
trains from such a folder on a machine without the corpus). A checkpoint is
written every training.save_minutes; training.max_minutes bounds a run by time.
The output directory is a usable model.base for `zhner train` at any time.
"""


def pretrain_main(argv: Sequence[str], prog: str) -> int:
    p = argparse.ArgumentParser(
        prog=prog, description=PRETRAIN_HELP, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--config", default="configs/pretrain-mini.yaml", help="pretraining config")
    p.add_argument("--output", help="encoder directory (default runs/<config name>)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="SECTION.KEY=VALUE")
    p.add_argument("--resume", action="store_true", help="continue from the last checkpoint or the saved weights")
    p.add_argument(
        "--prepare", action="store_true", help="only tokenise the corpus into the block cache and print its folder"
    )
    p.add_argument("--verbose", action="store_true")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    import signal

    from models.base import BaseModelError
    from train.config import ConfigError
    from train.pretrain import load_pretrain_config, pretrain

    def stop(signum, frame):  # a polite kill saves a checkpoint like Ctrl-C does
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        cfg = load_pretrain_config(args.config, args.overrides)
        if args.prepare:
            from train.pretrain import blocks_folder, build_blocks, build_model

            _, tokenizer = build_model(cfg)
            train, held = build_blocks(cfg, tokenizer)
            print(f"{blocks_folder(cfg, tokenizer)}: {len(train):,} train blocks, {len(held):,} held out")
            return 0
        result = pretrain(cfg, output=args.output, resume=args.resume, command=" ".join([prog, shlex.join(argv)]))
    except KeyboardInterrupt:
        print("stopped; continue with --resume", file=sys.stderr)
        return 130
    except (ConfigError, BaseModelError) as e:
        if args.verbose:
            raise
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(
        f"{result['output']}: {result['tokens']:,} tokens seen, held-out MLM loss {result['heldout_loss']:.3f}, "
        f"{result['tokens_per_second']:,.0f} tokens/s this run"
    )
    return 0
