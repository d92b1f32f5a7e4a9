"""Every way README.md, docs/, configs/ and the tests call `zhner train` and `zhner evaluate` still parses.

Only parsing: nothing is trained or scored. Each case is an argv and what the
parsed namespace must hold; the sub-parsers (issue #15) must not change any of them.
"""

from __future__ import annotations

import shlex

import pytest
from zhner.evaluation import cli as evaluate_cli
from zhner.train import cli as train_cli


@pytest.mark.parametrize(
    ("argv", "job", "expected"),
    [
        ([], "train", {"config": "configs/default.yaml", "output": None, "overrides": [], "quiet": False}),
        (["--config", "configs/x.yaml", "--set", "training.epochs=2"], "train", {"overrides": ["training.epochs=2"]}),
        (["--config", "configs/default.yaml", "--resume"], "train", {"resume": True}),
        (
            ["--config", "configs/tiny.yaml", "--output", "runs/try", "--set", "training.epochs=5"],
            "train",
            {"config": "configs/tiny.yaml", "output": "runs/try", "overrides": ["training.epochs=5"]},
        ),
        (
            ["--verbose", "--set", "model.base=x", "--set", "training.epochs=8"],
            "train",
            {"verbose": True, "overrides": ["model.base=x", "training.epochs=8"]},
        ),
        (["-q"], "train", {"quiet": True}),
        (["pretrain"], "pretrain", {"config": "configs/pretrain-mini.yaml", "resume": False, "prepare": False}),
        (["pretrain", "--config", "configs/pretrain-gpu.yaml", "--prepare"], "pretrain", {"prepare": True}),
        (
            ["pretrain", "--output", "runs/p", "--set", "data.inputs=[]", "--set", "data.blocks=.cache/pretrain/k"],
            "pretrain",
            {"output": "runs/p", "overrides": ["data.inputs=[]", "data.blocks=.cache/pretrain/k"]},
        ),
        (["pretrain", "--config", "configs/pretrain-mini.yaml", "--resume"], "pretrain", {"resume": True}),
        (
            ["vectors", "--config", "configs/pretrain-mini.yaml", "--output", "runs/char-vectors.txt"],
            "vectors",
            {"method": "word2vec", "output": "runs/char-vectors.txt"},
        ),
        (["silver", "--tagger", "lac", "--compare-only"], "silver", {"compare_only": True, "limit": 20000}),
        (
            shlex.split("silver --tagger none --input a.txt b.txt --exclude data/news/*.jsonl --seed 1 --limit 16000"),
            "silver",
            {"input": ["a.txt", "b.txt"], "exclude": ["data/news/*.jsonl"], "seed": 1, "limit": 16000},
        ),
        (["convert-e5"], "convert-e5", {"output": ".cache/e5-small", "source": None}),
        (["convert-e5", "--source", "q4.bin", "--output", "models/e5"], "convert-e5", {"source": "q4.bin"}),
    ],
)
def test_cli_forms_train(argv: list[str], job: str, expected: dict) -> None:
    args = train_cli.parse_args(argv)
    assert args.func is (train_cli.cmd_train if job == "train" else train_cli.JOBS[job][0])
    assert {k: getattr(args, k) for k in expected} == expected
    assert shlex.split(args.command_line) == ["zhner", "train", *argv]  # the command the model card records


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--model", "runs/default", "--data", "a.jsonl"], {"model": "runs/default", "data": ["a.jsonl"]}),
        (
            ["--predictions", "p.jsonl", "--data", "g.jsonl", "--train", "t.jsonl"],
            {"predictions": "p.jsonl", "train": ["t.jsonl"]},
        ),
        (["--baseline", "rules-metric", "--data", "a.jsonl", "b.jsonl"], {"data": ["a.jsonl", "b.jsonl"]}),
        (
            ["--model", "runs/default", "--data", "data/news/train.jsonl", "--fold", "0", "--lac-python", "py"],
            {"fold": 0, "lac_python": "py", "corpus": None},
        ),
        (["cv"], {"command": "cv", "config": "configs/default.yaml", "folds": 5, "repeats": 1, "seed": 13}),
        (["cv", "--config", "configs/article.yaml", "--folds", "5", "--repeats", "3"], {"repeats": 3}),
        (["cv", "--set", "model.base=DIR", "-q"], {"overrides": ["model.base=DIR"], "quiet": True}),
    ],
)
def test_cli_forms_evaluate(argv: list[str], expected: dict) -> None:
    args = evaluate_cli.parse_args(argv)
    cv = argv[:1] == ["cv"]
    assert args.func is (evaluate_cli.cmd_cv if cv else evaluate_cli.cmd_evaluate)
    assert {k: getattr(args, k) for k in expected} == expected


@pytest.mark.parametrize(
    ("parse", "argv", "message"),
    [
        (train_cli.parse_args, ["--verbose", "pretrain"], "write them after 'pretrain'"),
        (train_cli.parse_args, ["frobnicate"], "invalid choice: 'frobnicate'"),
        (evaluate_cli.parse_args, ["--data", "g.jsonl"], "one of the arguments --model --predictions --baseline"),
        (evaluate_cli.parse_args, ["--model", "m"], "the following arguments are required: --data"),
        (evaluate_cli.parse_args, ["--model", "m", "--predictions", "p", "--data", "g"], "not allowed with"),
        (evaluate_cli.parse_args, ["--model", "m", "cv"], "write them after 'cv'"),
    ],
)
def test_cli_forms_usage_errors(parse, argv: list[str], message: str, capsys) -> None:
    with pytest.raises(SystemExit) as done:
        parse(argv)
    assert done.value.code == 2
    assert message in capsys.readouterr().err
