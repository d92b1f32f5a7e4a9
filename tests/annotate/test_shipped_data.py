"""The gold files the repository ships: valid under the spec, and the held-out set never trains."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotate import read_many
from annotate.gold import validate
from train.config import load_config
from train.run import expand

ROOT = Path(__file__).resolve().parents[2]
TRAINING_CONFIGS = sorted(p.stem for p in (ROOT / "configs").glob("*.yaml") if not p.stem.startswith("pretrain"))


def test_shipped_gold_files_follow_the_spec(root) -> None:
    files = sorted((root / "data").rglob("*.jsonl"))
    assert len(files) >= 7  # the article, four authored parts, their QC pass, the held-out set
    assert [str(p) for p in validate(files)] == []


@pytest.mark.parametrize("config", TRAINING_CONFIGS)
def test_heldout_set_is_in_no_training_config(root, config: str, monkeypatch) -> None:
    """No shipped config trains on, or selects its model with, a held-out sentence."""
    monkeypatch.chdir(root)
    cfg = load_config(root / f"configs/{config}.yaml")
    used = [*cfg.data.train, *cfg.data.dev, *cfg.data.extra, *(s.path for s in cfg.data.transfer)]
    assert not [p for p in used if "heldout" in p]
    heldout = {r.text for r in read_many(sorted((root / "data/heldout").glob("*.jsonl")))}
    assert len(heldout) >= 100
    assert not heldout & {r.text for r in read_many(expand([*cfg.data.train, *cfg.data.dev, *cfg.data.extra]))}
