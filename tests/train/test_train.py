"""End-to-end training on the tiny config: real learning, nothing mocked."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from zhner.annotate import read_gold
from zhner.models.base import BaseModelError, resolve
from zhner.train.cli import main
from zhner.train.config import load_config
from zhner.train.run import run

torch.set_num_threads(1)


def overfit_config(root: Path, tmp: Path, *extra: str):
    """The tiny config set to learn three gold sentences by heart (they are also the dev set)."""
    three = tmp / "three.jsonl"
    lines = (root / "data/gold/article.jsonl").read_text(encoding="utf-8").splitlines()[:3]
    three.write_text("\n".join(lines) + "\n", encoding="utf-8")
    cfg = load_config(
        root / "configs/tiny.yaml",
        [
            f"data.train=[{three}]",
            f"data.dev=[{three}]",
            "data.limit=0",
            "training.epochs=60",
            "training.learning_rate=0.003",
            "training.batch_size=3",
            "model.max_length=128",
            *extra,
        ],
    )
    return cfg, three


@pytest.fixture(scope="module")
def overfit(tmp_path_factory, request) -> tuple[Path, dict, Path]:
    """A tiny model trained on three gold sentences, with the same three as dev."""
    tmp = tmp_path_factory.mktemp("overfit")
    cfg, three = overfit_config(Path(request.config.rootpath), tmp)
    out = tmp / "model"
    result = run(cfg, output=out)
    return out, result, three


def test_train_tiny_model_overfits_three_sentences(overfit) -> None:
    _, result, _ = overfit
    assert result["dev"]["micro"]["f1"] == 1.0
    assert result["alignment"]["aligned"] == result["alignment"]["spans"] > 0


def test_train_model_directory_is_complete(overfit) -> None:
    out, _, _ = overfit
    names = {p.name for p in out.iterdir()}
    assert {
        "model.safetensors",
        "config.json",
        "tokenizer.json",
        "zhner.json",
        "metrics.json",
        "metrics.csv",
        "README.md",
    } <= names
    config = json.loads((out / "config.json").read_text(encoding="utf-8"))
    assert config["id2label"]["0"] == "O" and "B-HONOR" in config["label2id"]
    assert "untrained" in (out / "README.md").read_text(encoding="utf-8")
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["epochs"] and "eval_f1" in metrics["epochs"][0]
    assert not any(p.name.startswith(".") for p in out.parent.iterdir()), "temporary directories left behind"
    assert not out.with_name(out.name + ".checkpoints").exists()


def test_train_save_load_gives_identical_predictions(overfit) -> None:
    from zhner.inference import Extractor

    out, _, three = overfit
    records = read_gold(three)
    ex = Extractor.load(out, bf16="false")
    predicted = [[e.span for e in ents] for ents in ex.extract_many([r.text for r in records])]
    assert predicted == [sorted(r.entities) for r in records]


def test_train_model_loads_in_transformers_pipeline(overfit) -> None:
    from transformers import pipeline

    out, _, three = overfit
    rec = read_gold(three)[0]
    tagger = pipeline("token-classification", model=str(out), aggregation_strategy="simple")
    found = {(e["start"], e["end"], e["entity_group"]) for e in tagger(rec.text)}
    assert found == {(s.start, s.end, s.label) for s in rec.entities}


def test_train_offline_hub_name_fails_in_one_sentence(monkeypatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(BaseModelError) as err:
        resolve("bert-base-chinese-not-cached")
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith("base model 'bert-base-chinese-not-cached' is not a local directory")
    assert "set model.base to that directory" in message


def test_train_cli_reports_offline_base_without_traceback(root, tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    rc = main(["--config", str(root / "configs/bert-base-chinese.yaml"), "--output", str(tmp_path / "m")])
    err = capsys.readouterr().err
    assert rc == 1
    assert err.startswith("error: base model 'bert-base-chinese' is not a local directory")
    assert "Traceback" not in err


def test_train_torchrun_two_processes_write_one_model(root, tmp_path) -> None:
    out = tmp_path / "ddp"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc_per_node",
        "2",
        "-m",
        "zhner.train",
        "--config",
        str(root / "configs/tiny.yaml"),
        "--output",
        str(out),
        "--set",
        "training.epochs=2",
    ]
    proc = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.count("dev scores of") == 1  # rank 0 reports, once
    assert proc.stderr.count(f"saved {out}") == 1  # rank 0 saves, once
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ddp"]
    meta = json.loads((out / "zhner.json").read_text(encoding="utf-8"))
    assert meta["config"]["name"] == "tiny"
    from zhner.inference import Extractor

    Extractor.load(out)("浙江新增4个国家先进制造业集群")


def test_train_interrupted_save_leaves_no_model_and_resume_finishes(root, tmp_path, monkeypatch) -> None:
    import zhner.train.run as train_run

    cfg = load_config(root / "configs/tiny.yaml", ["training.epochs=2"])
    out = tmp_path / "m"
    real_save = train_run.modeldir.save

    def crash(*args, **kwargs):
        raise KeyboardInterrupt("simulated interruption while saving")

    monkeypatch.setattr(train_run.modeldir, "save", crash)
    with pytest.raises(KeyboardInterrupt):
        run(cfg, output=out)
    assert not out.exists()
    checkpoints = out.with_name("m.checkpoints")
    assert sorted(p.name for p in checkpoints.iterdir() if p.name.startswith("checkpoint-"))

    monkeypatch.setattr(train_run.modeldir, "save", real_save)
    result = run(cfg, output=out, resume=True)
    assert (out / "model.safetensors").is_file() and result["epochs_run"] == 2
    assert not checkpoints.exists()


def test_train_crf_head_overfits_and_reloads(root, tmp_path) -> None:
    from zhner.inference import Extractor

    cfg, three = overfit_config(root, tmp_path, "model.head=crf")
    result = run(cfg, output=tmp_path / "crf", progress=False)
    assert result["dev"]["micro"]["f1"] == 1.0
    ex = Extractor.load(tmp_path / "crf", bf16="false")
    assert ex.crf is not None and ex.meta.head == "crf"
    records = read_gold(three)
    assert [[e.span for e in es] for es in ex.extract_many([r.text for r in records])] == [
        sorted(r.entities) for r in records
    ]


def test_train_unknown_head_lists_the_known_ones(root) -> None:
    from zhner.train.config import ConfigError

    with pytest.raises(ConfigError, match=r"model\.head: 'lstm' is not one of crf, softmax"):
        load_config(root / "configs/tiny.yaml", ["model.head=lstm"])
