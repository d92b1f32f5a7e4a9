from __future__ import annotations

import pytest
from zhner.train.config import ConfigError, load_config


def test_config_default_yaml_equals_the_dataclass_defaults(root) -> None:
    """configs/default.yaml lists every key with its default: it must not drift from the code."""
    assert load_config(root / "configs/default.yaml") == load_config(None)


@pytest.mark.parametrize(
    "name",
    [
        "default",
        "tiny",
        "article",
        "scratch",
        "authored-augment",
        "transfer",
        "transfer-stage",
        "transfer-stage-silver",
        "transfer-stage-joint",
        "transfer-weighted",
        "bert-base-chinese",
        "chinese-roberta-wwm-ext",
        "rbt3",
    ],
)
def test_config_shipped_configs_load(root, name: str) -> None:
    cfg = load_config(root / f"configs/{name}.yaml")
    assert cfg.name == name


def test_config_override_is_typed(root) -> None:
    cfg = load_config(
        root / "configs/default.yaml",
        ["training.epochs=3", "training.learning_rate=1e-3", "data.train=[a.jsonl, b.jsonl]", "model.scratch.layers=2"],
    )
    assert (cfg.training.epochs, cfg.training.learning_rate) == (3, 0.001)
    assert cfg.data.train == ["a.jsonl", "b.jsonl"] and cfg.model.scratch.layers == 2


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("epochs=3", "override 'epochs=3': name the section too, e.g. training.epochs=3"),
        ("training.epoch=3", "unknown key 'epoch' in section training; known: epochs,"),
        ("training.epochs=three", "training.epochs: expected int, got str 'three'"),
        ("training.epochs", "override 'training.epochs': expected section.key=value"),
        ("data.scheme=iob", "data.scheme: 'iob' is not one of bio, bioes"),
        ("model.scratch.depth=2", "unknown key 'depth' in section model.scratch"),
    ],
)
def test_config_bad_override_names_key_and_reason(root, override: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_config(root / "configs/default.yaml", [override])
    assert str(err.value).startswith(message)


def test_config_unknown_key_in_file(tmp_path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("training:\n  epohcs: 3\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown key 'epohcs' in section training"):
        load_config(path)


def test_config_missing_file(tmp_path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.yaml")


def test_config_default_names_no_path_outside_the_repository(root) -> None:
    from pathlib import Path

    cfg = load_config(root / "configs/default.yaml")
    paths = [*cfg.data.train, *cfg.data.dev, *cfg.data.extra, *(s.path for s in cfg.data.transfer)]
    for p in paths:
        assert (root / p).resolve().is_relative_to(root), p
    assert not Path(cfg.model.base).is_absolute()
    assert (root / cfg.model.base / "model.safetensors").is_file()  # shipped in the repository
