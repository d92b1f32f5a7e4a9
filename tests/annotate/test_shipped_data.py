"""The gold files the repository ships: valid under the spec, and the held-out set never trains."""

from __future__ import annotations

from pathlib import Path

import pytest
from zhner.annotate import read_many
from zhner.annotate.gold import validate
from zhner.train.config import load_config
from zhner.train.run import expand

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT.parent / "shared/corpus/text"
NEWS = sorted((ROOT / "data/news").glob("*.jsonl")) + sorted((ROOT / "data/news/qc").glob("*.jsonl"))
TRAINING_CONFIGS = sorted(p.stem for p in (ROOT / "configs").glob("*.yaml") if not p.stem.startswith("pretrain"))


def test_shipped_gold_files_follow_the_spec(root) -> None:
    files = sorted(set((root / "data").rglob("*.jsonl")) - set(NEWS))
    assert len(files) >= 7  # the article, four authored parts, their QC pass, the held-out set
    assert [str(p) for p in validate(files)] == []


def test_published_news_gold_is_standoff_without_text() -> None:
    """data/news holds no corpus text: every line points into the corpus by file, line, hash and range."""
    import json

    assert {p.name for p in NEWS} >= {"train.jsonl", "test.jsonl"}
    for path in NEWS:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            row = json.loads(line)
            assert "text" not in row, f"{path}:{n}: corpus text committed"
            assert {"id", "source", "line", "sha256", "start", "end", "entities"} <= set(row), f"{path}:{n}"
            for start, end, _ in row["entities"]:
                assert 0 <= start < end <= row["end"] - row["start"], f"{path}:{n}: entity outside the sentence"


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"the corpus is not at {CORPUS} (a clone outside the workspace)")
def test_published_news_gold_resolves_and_follows_the_spec() -> None:
    assert [str(p) for p in validate(NEWS, corpus=CORPUS)] == []
    train = read_many([ROOT / "data/news/train.jsonl"], corpus=CORPUS)
    test = read_many([ROOT / "data/news/test.jsonl"], corpus=CORPUS)
    assert len(train) >= 1000 and len(test) >= 500
    assert sum(len(r.entities) for r in train + test) >= 4000
    assert not {r.text for r in train} & {r.text for r in test}
    assert not {(r.meta["source"], r.meta["line"]) for r in train} & {(r.meta["source"], r.meta["line"]) for r in test}


@pytest.mark.parametrize("config", TRAINING_CONFIGS)
def test_heldout_set_is_in_no_training_config(root, config: str, monkeypatch) -> None:
    """No shipped config trains on, or selects its model with, a held-out sentence."""
    monkeypatch.chdir(root)
    cfg = load_config(root / f"configs/{config}.yaml")
    used = [*cfg.data.train, *cfg.data.dev, *cfg.data.extra, *(s.path for s in cfg.data.transfer)]
    assert not [p for p in used if "heldout" in p or "news/test" in p]  # the published-news test split never trains
    heldout = {r.text for r in read_many(sorted((root / "data/heldout").glob("*.jsonl")))}
    assert len(heldout) >= 100
    files = expand([*cfg.data.train, *cfg.data.dev, *cfg.data.extra])
    if not (cfg.data.corpus and Path(cfg.data.corpus).is_dir()):  # standoff files cannot be read without it
        files = [f for f in files if not f.startswith("data/news/")]
    assert not heldout & {r.text for r in read_many(files, corpus=cfg.data.corpus or None)}
