"""MLM pretraining on a tiny corpus: from scratch, from a checkpoint, and after a kill."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from zhner.train.pretrain import load_pretrain_config, mask_tokens, pretrain

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, request) -> Path:
    """A tiny corpus: the article's lines, a JSONL file and a char/BIO file (all made here)."""
    root = Path(request.config.rootpath)
    d = tmp_path_factory.mktemp("corpus")
    article = (root / "data/raw/article.txt").read_text(encoding="utf-8")
    (d / "a.txt").write_text("\n".join(article.splitlines() * 3), encoding="utf-8")
    (d / "b.jsonl").write_text('{"text": "浙江新增4个国家先进制造业集群。"}\n{"x": 1}\nnot json\n', encoding="utf-8")
    (d / "c.bio").write_text("杭 B-LOC\n州 I-LOC\n\n海 B-ORG\n康 I-ORG\n", encoding="utf-8")
    return d


def tiny_args(corpus: Path, tmp: Path, *extra: str) -> list[str]:
    """Overrides for a tiny encoder on the tiny corpus; later ones win."""
    return [
        f"data.inputs=[{corpus}]",
        f"data.cache_dir={tmp / 'cache'}",
        "data.block_size=32",
        "data.holdout=0.05",
        "model.scratch.layers=2",
        "model.scratch.hidden=32",
        "model.scratch.heads=2",
        "model.scratch.intermediate=64",
        "model.scratch.max_position=64",
        "training.batch_size=8",
        "training.max_tokens=4096",
        "training.warmup_steps=2",
        "training.threads=1",
        "training.eval_blocks=16",
        *extra,
    ]


def tiny(corpus: Path, tmp: Path, *extra: str):
    return load_pretrain_config(None, tiny_args(corpus, tmp, *extra))


def test_pretrain_from_scratch_writes_a_usable_encoder(corpus, tmp_path, root) -> None:
    cfg = tiny(corpus, tmp_path)
    result = pretrain(cfg, output=tmp_path / "enc")
    enc = tmp_path / "enc"
    assert result["tokens"] >= 4096 and result["step"] == 16
    assert {"model.safetensors", "config.json", "tokenizer.json", "README.md", "pretrain.json"} <= {
        p.name for p in enc.iterdir()
    }
    assert "Tokens seen: 4,096" in (enc / "README.md").read_text(encoding="utf-8")
    assert json.loads((enc / "config.json").read_text(encoding="utf-8"))["hidden_dropout_prob"] == 0.1
    # the cache is reused: a second build reads the same blocks
    assert len(list((tmp_path / "cache").iterdir())) == 1

    # the encoder is a model.base for fine-tuning
    from zhner.train.config import load_config
    from zhner.train.run import run

    out = run(
        load_config(root / "configs/tiny.yaml", [f"model.base={enc}", "training.epochs=1"]),
        output=tmp_path / "ner",
        progress=False,
    )
    assert out["base_trained"] is True

    # and pretraining continues from it (domain-adaptive pretraining)
    cont = pretrain(tiny(corpus, tmp_path, f"model.init={enc}", "training.max_tokens=1024"), output=tmp_path / "dapt")
    assert cont["step"] == 4


def test_pretrain_resumes_after_kill(corpus, tmp_path, root) -> None:
    cfg_args = tiny_args(corpus, tmp_path, "training.max_tokens=400000", "training.save_minutes=0.002")
    out = tmp_path / "enc"
    cmd = [
        sys.executable,
        "-m",
        "train",
        "pretrain",
        "--output",
        str(out),
        *[a for s in cfg_args for a in ("--set", s)],
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    state = out.with_name("enc.state.pt")
    deadline = time.time() + 120
    while time.time() < deadline and not (state.exists() and (out / "pretrain.json").exists()):
        time.sleep(0.5)
    time.sleep(1.0)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert state.exists(), "no checkpoint was written before the kill"
    saved_step = torch.load(state, weights_only=False)["state"]["step"]
    assert saved_step > 0

    cfg = tiny(corpus, tmp_path, f"training.max_tokens={(saved_step + 3) * 8 * 32}")
    result = pretrain(cfg, output=out, resume=True)
    assert result["step"] == saved_step + 3
    assert result["tokens"] == (saved_step + 3) * 8 * 32


def test_pretrain_masking_leaves_special_tokens_alone() -> None:
    from zhner.models.vocab import build_tokenizer

    tok = build_tokenizer()
    ids = torch.tensor([[tok.cls_token_id, *range(100, 160), tok.sep_token_id]] * 50)
    inputs, labels = mask_tokens(ids, tok, 0.15, torch.Generator().manual_seed(0))
    assert (labels[:, 0] == -100).all() and (labels[:, -1] == -100).all()
    share = (labels != -100).float().mean().item()
    assert 0.11 < share < 0.19
    chosen = labels != -100
    assert ((inputs == tok.mask_token_id) & chosen).sum() > 0.7 * chosen.sum()
    assert (inputs[~chosen] == ids[~chosen]).all()


def test_whole_word_masking_takes_words_whole() -> None:
    """With word starts, a word's tokens are masked together; only one word a row may be cut."""
    from zhner.models.vocab import build_tokenizer

    tok = build_tokenizer()
    ids = torch.tensor([[tok.cls_token_id, *range(100, 160), tok.sep_token_id]] * 40)
    starts = torch.zeros_like(ids)
    starts[:, 0] = starts[:, -1] = 1
    starts[:, 1:-1:3] = 1  # twenty words of three tokens
    _, labels = mask_tokens(ids, tok, 0.15, torch.Generator().manual_seed(0), starts)
    chosen = (labels[:, 1:-1] != -100).reshape(40, 20, 3)
    assert chosen.sum(dim=(1, 2)).eq(9).all()  # round(0.15 * 60) per row, as without words
    partial = (chosen.any(dim=2) & ~chosen.all(dim=2)).sum(dim=1)
    assert (partial <= 1).all()
    assert (chosen.all(dim=2).sum(dim=1) >= 3).all()  # nine tokens: three whole words (or 2 + a cut one)
    _, plain = mask_tokens(ids, tok, 0.15, torch.Generator().manual_seed(0))
    plain = (plain[:, 1:-1] != -100).reshape(40, 20, 3)
    assert (plain.any(dim=2) & ~plain.all(dim=2)).sum() > 100  # token masking cuts words everywhere


def test_pretrain_whole_word_stores_jieba_word_starts(corpus, tmp_path) -> None:
    import numpy as np

    result = pretrain(tiny(corpus, tmp_path, "data.whole_word=true", "training.max_tokens=512"), output=tmp_path / "w")
    assert result["step"] == 2 and np.isfinite(result["heldout_loss"])
    (cache,) = (tmp_path / "cache").iterdir()
    blocks, starts = np.load(cache / "train.npy"), np.load(cache / "train.starts.npy")
    assert starts.shape == blocks.shape and starts.dtype == np.uint8
    assert set(np.unique(starts)) == {0, 1}
    assert (starts[:, 0] == 1).all() and 0.3 < starts.mean() < 0.9  # words of one to a few characters
    from zhner.models.vocab import build_tokenizer

    tok = build_tokenizer()
    row = tok.convert_ids_to_tokens(blocks[0].tolist())
    words, cur = [], ""
    for t, s in zip(row[1:-1], starts[0, 1:-1]):
        if s and cur:
            words.append(cur)
            cur = ""
        cur += t
    assert any(w in ("浙江", "制造业", "集群", "产业") for w in words)  # jieba's words, not single characters


def test_pretrain_from_prepared_blocks_without_the_corpus(corpus, tmp_path) -> None:
    """data.blocks: a cache folder carried to another machine (a GPU lease) is all it needs."""
    import numpy as np
    from zhner.train.config import ConfigError

    pretrain(tiny(corpus, tmp_path, "training.max_tokens=512"), output=tmp_path / "a")
    (cache,) = (tmp_path / "cache").iterdir()
    train = np.load(cache / "train.npy")
    assert train.dtype == np.uint16 and train.shape[1] == 32 and len(train) >= 16
    from zhner.models.vocab import build_tokenizer

    tok = build_tokenizer()
    assert (train[:, 0] == tok.cls_token_id).all() and (train[:, -1] == tok.sep_token_id).all()
    moved = tmp_path / "carried"
    cache.rename(moved)
    result = pretrain(
        tiny(corpus, tmp_path, "data.inputs=[]", f"data.blocks={moved}", "training.max_tokens=512"),
        output=tmp_path / "b",
    )
    assert result["step"] == 2
    assert not any((tmp_path / "cache").iterdir())  # nothing was tokenised again
    with pytest.raises(ConfigError, match=r"data\.block_size is 64"):
        pretrain(tiny(corpus, tmp_path, f"data.blocks={moved}", "data.block_size=64"), output=tmp_path / "c")


def test_pretrain_stops_at_max_minutes(corpus, tmp_path) -> None:
    result = pretrain(
        tiny(corpus, tmp_path, "training.max_tokens=100000000", "training.max_minutes=0.002"), output=tmp_path / "t"
    )
    assert 0 < result["step"] < 100000000 // (8 * 32)
    assert (tmp_path / "t" / "model.safetensors").is_file()


def test_pretrain_config_needs_inputs() -> None:
    from zhner.train.config import ConfigError

    with pytest.raises(ConfigError, match=r"data\.inputs"):
        load_pretrain_config(None, [])


def test_pretrain_continues_from_fp16_weights_without_optimizer_state(corpus, tmp_path) -> None:
    first = pretrain(
        tiny(corpus, tmp_path, "training.save_fp16=true", "training.max_tokens=1024"), output=tmp_path / "s"
    )
    assert first["step"] == 4
    (tmp_path / "s.state.pt").unlink()  # only the committed weights travel to the next machine
    again = pretrain(
        tiny(corpus, tmp_path, "training.save_fp16=true", "training.max_tokens=2048"),
        output=tmp_path / "s",
        resume=True,
    )
    meta = json.loads((tmp_path / "s/pretrain.json").read_text(encoding="utf-8"))
    assert again["tokens"] == meta["tokens"] == 2048 and again["step"] == 8  # max_tokens counts the whole run


def test_pretrain_interrupt_writes_a_checkpoint(corpus, tmp_path, monkeypatch) -> None:
    import zhner.train.pretrain.loop as pt  # the loop looks mlm_loss up in its own module

    real, calls = pt.mlm_loss, []

    def interrupted_on_third_step(*args):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(*args)

    monkeypatch.setattr(pt, "mlm_loss", interrupted_on_third_step)
    with pytest.raises(KeyboardInterrupt):
        pretrain(tiny(corpus, tmp_path, "training.save_minutes=1000", "data.holdout=0"), output=tmp_path / "enc")
    saved = torch.load(tmp_path / "enc.state.pt", weights_only=False)["state"]
    assert saved["step"] == 2 and (tmp_path / "enc" / "model.safetensors").is_file()


def test_pretrain_fp16_snapshot_fine_tunes_in_fp32(corpus, tmp_path) -> None:
    from zhner.models.base import ScratchSize, build_token_classifier

    pretrain(tiny(corpus, tmp_path, "training.save_fp16=true", "training.max_tokens=512"), output=tmp_path / "s")
    model, trained = build_token_classifier(str(tmp_path / "s"), ["O", "B-ORG", "I-ORG"], ScratchSize(), 0)
    assert trained and {p.dtype for p in model.parameters()} == {torch.float32}


def test_pretrain_prepare_only_builds_the_cache(corpus, tmp_path, capsys) -> None:
    from zhner.train.cli import main

    args = [a for s in tiny_args(corpus, tmp_path) for a in ("--set", s)]
    assert main(["pretrain", "--prepare", "--output", str(tmp_path / "never"), *args], prog="zhner train") == 0
    folder = capsys.readouterr().out.split(":")[0]
    assert (Path(folder) / "train.npy").is_file() and (Path(folder) / "heldout.npy").is_file()
    assert not (tmp_path / "never").exists()  # nothing trained


def test_pretrain_save_encoder_is_atomic(tmp_path) -> None:
    """A save that fails half-way (models.modeldir.atomic_dir) keeps the previous encoder and leaves nothing behind."""
    from types import SimpleNamespace

    from zhner.models.vocab import build_tokenizer
    from zhner.train.pretrain import save_encoder

    class DiskFull:
        config = SimpleNamespace(hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)

        def save_pretrained(self, path, **kwargs) -> None:
            (Path(path) / "model.safetensors").write_bytes(b"partial")
            raise OSError("disk full")

    out = tmp_path / "enc"
    out.mkdir()
    (out / "README.md").write_text("the previous encoder", encoding="utf-8")
    with pytest.raises(OSError, match="disk full"):
        save_encoder(out, DiskFull(), build_tokenizer(), "the new card")
    assert (out / "README.md").read_text(encoding="utf-8") == "the previous encoder"
    assert [p.name for p in tmp_path.iterdir()] == ["enc"]
