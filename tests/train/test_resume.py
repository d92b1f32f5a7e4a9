"""Resuming continues the interrupted run: from its saved weights, optimizer state and step (not counters only)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import torch
from zhner.train.config import load_config
from zhner.train.pretrain import load_pretrain_config, pretrain

torch.set_num_threads(1)


class Killed(BaseException):
    """A kill, simulated in the process: nothing of the run executes after it (no checkpoint on the way out)."""


def pretrain_cfg(root: Path, tmp: Path, *extra: str):
    corpus = tmp / "corpus.txt"
    if not corpus.exists():  # written once: the block cache is keyed by the file's mtime too
        article = (root / "data/raw/article.txt").read_text(encoding="utf-8")
        corpus.write_text("\n".join(article.splitlines() * 3), encoding="utf-8")
    return load_pretrain_config(
        None,
        [
            f"data.inputs=[{corpus}]",
            f"data.cache_dir={tmp / 'cache'}",
            "data.block_size=32",
            "data.holdout=0",  # the loss function runs for training steps only
            "model.scratch.layers=2",
            "model.scratch.hidden=32",
            "model.scratch.heads=2",
            "model.scratch.intermediate=64",
            "model.scratch.max_position=64",
            "training.batch_size=8",
            "training.max_tokens=2560",  # 10 steps
            "training.warmup_steps=2",
            "training.threads=1",
            *extra,
        ],
    )


def optimizer_moments(state_dict: dict) -> dict:
    """The optimizer's per-parameter state (step, Adam moments) and its hyper-parameters except the
    learning rate (which the schedule sets again at every step)."""
    groups = [{k: v for k, v in g.items() if k != "lr"} for g in state_dict["param_groups"]]
    return {"state": state_dict["state"], "groups": groups}


def assert_same(a, b) -> None:
    if isinstance(a, dict):
        assert a.keys() == b.keys()
        for k in a:
            assert_same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_same(x, y)
    elif isinstance(a, torch.Tensor):
        assert torch.equal(a, b)
    else:
        assert a == b


def test_pretrain_resumed_after_a_kill_starts_from_the_saved_weights_and_optimizer(root, tmp_path, monkeypatch) -> None:
    """Killed during step 5 with a checkpoint after every step: the resumed run's first step runs on
    exactly the weights and Adam moments of the step-4 checkpoint, and it is step 5."""
    import zhner.train.pretrain.loop as pt  # the loop looks mlm_loss up in its own module

    real_loss = pt.mlm_loss
    calls: list[int] = []

    def killed_in_fifth_step(*args):
        calls.append(1)
        if len(calls) == 5:
            raise Killed
        return real_loss(*args)

    monkeypatch.setattr(pt, "mlm_loss", killed_in_fifth_step)
    out = tmp_path / "enc"
    with pytest.raises(Killed):
        pretrain(pretrain_cfg(root, tmp_path, "training.save_minutes=0.0000001"), output=out)
    saved = torch.load(out.with_name("enc.state.pt"), weights_only=False)
    assert saved["state"]["step"] == 4  # the checkpoint written after the last completed step
    assert len(saved["optimizer"]["state"]) > 0  # Adam moments exist: the comparison below means something

    optimizers: list[torch.optim.Optimizer] = []

    class Recorded(torch.optim.AdamW):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            optimizers.append(self)

    first_step: dict = {}
    resumed_steps: list[int] = []

    def spy(model, inputs, labels):
        resumed_steps.append(1)
        if not first_step:
            first_step["weights"] = {k: v.detach().clone() for k, v in model.state_dict().items()}
            first_step["optimizer"] = copy.deepcopy(optimizer_moments(optimizers[-1].state_dict()))
        return real_loss(model, inputs, labels)

    monkeypatch.setattr(pt, "mlm_loss", spy)
    monkeypatch.setattr(torch.optim, "AdamW", Recorded)
    result = pretrain(pretrain_cfg(root, tmp_path, "training.save_minutes=1000"), output=out, resume=True)
    assert result["step"] == 10 and len(resumed_steps) == 10 - 4  # steps 5 to 10, none done twice
    assert_same(first_step["weights"], saved["model"])
    assert_same(first_step["optimizer"], optimizer_moments(saved["optimizer"]))
    history = json.loads((out / "pretrain.json").read_text(encoding="utf-8"))
    assert history["step"] == 10 and history["tokens"] == 10 * 8 * 32


def test_fine_tuning_interrupted_mid_epoch_restarts_at_the_checkpoint(root, tmp_path, monkeypatch) -> None:
    """Interrupted one step into epoch 2: the resumed run's first step is the epoch-1 checkpoint's global
    step, on its weights and optimizer state, with the batch the interrupted run drew there; then it runs
    every remaining step once."""
    from safetensors.torch import load_file
    from zhner.train.run import NerTrainer, run

    cfg = load_config(root / "configs/tiny.yaml", ["training.epochs=3", "training.batch_size=2"])
    out = tmp_path / "m"
    real_step = NerTrainer.training_step
    steps: list[tuple[int, list]] = []  # (global step, input ids) of every training step, both runs
    first: dict = {}

    def interrupted(self, model, inputs, *args, **kwargs):
        per_epoch = self.state.max_steps // int(self.args.num_train_epochs)
        assert per_epoch >= 2  # an epoch has a middle
        if self.state.global_step == per_epoch + 1:
            raise KeyboardInterrupt("simulated interruption in the middle of epoch 2")
        steps.append((self.state.global_step, inputs["input_ids"].tolist()))
        return real_step(self, model, inputs, *args, **kwargs)

    monkeypatch.setattr(NerTrainer, "training_step", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run(cfg, output=out, progress=False)
    interrupted_run = dict(steps)
    (checkpoint,) = out.with_name("m.checkpoints").glob("checkpoint-*")
    at = json.loads((checkpoint / "trainer_state.json").read_text(encoding="utf-8"))["global_step"]
    assert checkpoint.name == f"checkpoint-{at}" and max(interrupted_run) == at  # one step past the checkpoint
    saved = load_file(checkpoint / "model.safetensors")  # read now: a finished run removes its checkpoints
    saved_opt = optimizer_moments(torch.load(checkpoint / "optimizer.pt", weights_only=False))
    assert saved and saved_opt["state"]

    def resumed(self, model, inputs, *args, **kwargs):
        if not first:
            first["step"] = self.state.global_step
            first["weights"] = {k: v.detach().clone() for k, v in model.state_dict().items()}
            first["optimizer"] = copy.deepcopy(optimizer_moments(self.optimizer.state_dict()))
        steps.append((self.state.global_step, inputs["input_ids"].tolist()))
        return real_step(self, model, inputs, *args, **kwargs)

    steps.clear()
    monkeypatch.setattr(NerTrainer, "training_step", resumed)
    result = run(cfg, output=out, resume=True, progress=False)
    assert first["step"] == at
    assert all(torch.equal(first["weights"][k], v) for k, v in saved.items())
    assert_same(first["optimizer"], saved_opt)
    assert steps[0][1] == interrupted_run[at]  # the same batch as before the interruption
    assert [s for s, _ in steps] == list(range(at, 3 * at))  # each remaining step once, none before the checkpoint
    assert result["epochs_run"] == 3 and (out / "model.safetensors").is_file()
