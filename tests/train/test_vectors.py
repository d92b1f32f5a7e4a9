"""Character vectors (train.vectors): the word2vec text reader, the embedding initialisation, and gensim
training on a tiny corpus that a scratch pretraining run then starts from."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from zhner.train.config import ConfigError
from zhner.train.pretrain import build_model, load_pretrain_config, pretrain
from zhner.train.vectors import VectorsSettings, init_embeddings, read_vectors, train_vectors

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, request) -> Path:
    """The article's lines, three times over (made here)."""
    article = (Path(request.config.rootpath) / "data/raw/article.txt").read_text(encoding="utf-8")
    d = tmp_path_factory.mktemp("corpus")
    (d / "a.txt").write_text("\n".join(article.splitlines() * 3), encoding="utf-8")
    return d


def tiny(corpus: Path, tmp: Path, *extra: str):
    """A tiny scratch encoder (2 x 32) on the tiny corpus."""
    sizes = ["layers=2", "hidden=32", "heads=2", "intermediate=64", "max_position=64"]
    return load_pretrain_config(
        None,
        [f"data.inputs=[{corpus}]", f"data.cache_dir={tmp / 'cache'}", "data.block_size=32", "data.holdout=0.05"]
        + [f"model.scratch.{s}" for s in sizes]
        + ["training.batch_size=8", "training.max_tokens=2048", "training.warmup_steps=2", "training.threads=1"]
        + ["training.eval_blocks=16", *extra],
    )


def write_vectors(path: Path, rows: dict[str, list[float]]) -> Path:
    dims = len(next(iter(rows.values())))
    lines = [f"{len(rows)} {dims}"] + [" ".join([t, *map(str, v)]) for t, v in rows.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_read_vectors_parses_and_names_the_bad_line(tmp_path) -> None:
    good = write_vectors(tmp_path / "v.txt", {"浙": [1.0, 2.0], "江": [3.0, -1.0]})
    vectors = read_vectors(good)
    assert set(vectors) == {"浙", "江"}
    np.testing.assert_allclose(vectors["江"], [3.0, -1.0])
    bad = tmp_path / "bad.txt"
    bad.write_text("2 2\n浙 1.0 2.0\n江 3.0\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad.txt:3: expected a token and 2 numbers"):
        read_vectors(bad)
    noheader = tmp_path / "noheader.txt"
    noheader.write_text("浙 1.0 2.0\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"noheader.txt:1: not a word2vec text file"):
        read_vectors(noheader)


def test_init_embeddings_sets_known_rows_only_at_the_init_scale(corpus, tmp_path) -> None:
    cfg = tiny(corpus, tmp_path)
    model, tokenizer = build_model(cfg)
    dims = model.config.hidden_size
    rng = np.random.default_rng(0)
    path = write_vectors(tmp_path / "v.txt", {t: (rng.normal(size=dims) * 5 + 3).tolist() for t in "浙江省集群"})
    before = model.get_input_embeddings().weight.detach().clone()
    n = init_embeddings(model, tokenizer, path)
    after = model.get_input_embeddings().weight.detach()
    ids = tokenizer.convert_tokens_to_ids(list("浙江省集群"))
    assert n == 5
    changed = (before != after).any(dim=1).nonzero().flatten().tolist()
    assert sorted(changed) == sorted(ids)
    rows = after[ids]
    assert abs(float(rows.mean())) < 1e-6  # centred
    assert float(rows.std()) == pytest.approx(model.config.initializer_range, rel=1e-3)  # scaled like the init
    wrong = write_vectors(tmp_path / "w.txt", {"浙": [1.0, 2.0]})
    with pytest.raises(ValueError, match="hidden size"):
        init_embeddings(model, tokenizer, wrong)


def test_vectors_trained_on_the_corpus_start_a_pretraining_run(corpus, tmp_path) -> None:
    cfg = tiny(corpus, tmp_path)
    out = tmp_path / "chars.txt"
    result = train_vectors(cfg, out, VectorsSettings(epochs=2, min_count=1, workers=1))
    vectors = read_vectors(out)
    assert result["vectors"] == len(vectors) > 50
    assert result["dimensions"] == 32 == len(vectors["浙"])
    run = pretrain(tiny(corpus, tmp_path, f"model.embeddings={out}"), output=tmp_path / "enc")
    assert run["tokens"] > 0 and np.isfinite(run["heldout_loss"])
    assert "word embeddings initialised from" in (tmp_path / "enc" / "README.md").read_text(encoding="utf-8")
    with pytest.raises(ConfigError, match="does not exist"):
        build_model(tiny(corpus, tmp_path, f"model.embeddings={tmp_path / 'missing.txt'}"))
