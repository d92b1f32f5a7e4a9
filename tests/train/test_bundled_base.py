"""The bundled base checkpoint (the default config's model.base) loads whole and fine-tunes."""

from __future__ import annotations

import json

import torch
from safetensors.torch import load_file
from zhner.train.config import load_config

torch.set_num_threads(1)


def test_bundled_default_base_loads_whole_and_fine_tunes_one_step(root, tmp_path, monkeypatch) -> None:
    """Every tensor of the default's bundled base (models/bundled/zh-char-distil: encoder and its stage head) is
    what the first training step starts from; one step changes the weights; the result is a loadable model."""
    from zhner.inference import Extractor
    from zhner.train.run import NerTrainer, run

    default = load_config(root / "configs/default.yaml")
    bundled = root / default.model.base  # the checkpoint the default trains from
    assert bundled.resolve().parent == (root / "models/bundled").resolve()  # shipped in the repository
    shipped = load_file(bundled / "model.safetensors")
    cfg = load_config(
        root / "configs/tiny.yaml",
        [
            f"model.base={bundled}",
            "data.limit=1",
            "training.epochs=1",
            "training.batch_size=8",
            "training.warmup_ratio=0",  # with warm-up, the only step would have learning rate 0
        ],
    )
    real_step = NerTrainer.training_step
    starts: list[dict] = []

    def first_weights(self, model, inputs, *args, **kwargs):
        starts.append({k: v.detach().clone() for k, v in model.state_dict().items()})
        loss = real_step(self, model, inputs, *args, **kwargs)
        assert torch.isfinite(loss)
        return loss

    monkeypatch.setattr(NerTrainer, "training_step", first_weights)
    result = run(cfg, output=tmp_path / "m", progress=False)
    assert len(starts) == 1  # one sentence, one batch: one step
    start = starts[0]
    assert set(shipped) <= set(start)
    for name, tensor in shipped.items():
        assert start[name].dtype == torch.float32  # an fp16 snapshot fine-tunes in fp32
        assert torch.equal(start[name], tensor.float()), name
    assert result["base_trained"] is True

    tuned = load_file(tmp_path / "m/model.safetensors")
    changed = [k for k, v in shipped.items() if not torch.equal(tuned[k].float(), v.float())]
    assert "classifier.weight" in changed and any(k.startswith("bert.encoder.") for k in changed)
    assert all(torch.isfinite(v).all() for v in tuned.values())
    meta = json.loads((tmp_path / "m/zhner.json").read_text(encoding="utf-8"))
    assert meta["base"] == str(bundled) and meta["base_trained"] is True
    ents = Extractor.load(tmp_path / "m")("浙江省经信厅表示，海康威视营收增长22.1%。")
    assert all(e.label in ("ORG", "LOC", "METRIC", "HONOR") for e in ents)
