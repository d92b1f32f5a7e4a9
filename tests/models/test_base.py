"""models.base: the fine-tuning dropout override (model.dropout), what bf16 "auto" means, the scratch config."""

from __future__ import annotations

import pytest
import torch
from zhner.models.base import ScratchSize, build_token_classifier, cpu_has_bf16, scratch_config, use_bf16

TAGS = ["O", "B-ORG", "I-ORG"]


def test_dropout_none_keeps_the_checkpoints_own_and_a_value_replaces_it(root) -> None:
    bundled = str(root / "models/bundled/zh-char-mini")
    kept, trained = build_token_classifier(bundled, TAGS, ScratchSize(), 0)
    assert trained and kept.config.hidden_dropout_prob == 0.1  # what save_encoder writes for fine-tuning
    off, _ = build_token_classifier(bundled, TAGS, ScratchSize(), 0, dropout=0.0)
    assert off.config.hidden_dropout_prob == off.config.attention_probs_dropout_prob == 0.0
    off.train()
    layer = off.bert.encoder.layer[0].output.dropout
    assert layer.p == 0.0  # the modules are built with it, not only the config
    scratch, trained = build_token_classifier(
        "scratch", TAGS, ScratchSize(layers=1, hidden=32, heads=2), 100, dropout=0.3
    )
    assert not trained and scratch.bert.embeddings.dropout.p == 0.3


@pytest.mark.parametrize(
    ("setting", "stage", "device", "expected"),
    [
        ("auto", "train", None, False),  # fine-tuning: auto is fp32 (NaN seen on CUDA)
        ("true", "train", None, True),
        ("false", "pretrain", "cpu", False),
        ("auto", "inference", "cuda", True),  # inference on CUDA: always, without asking the device
    ],
)
def test_base_bf16_auto_is_defined_per_stage(setting: str, stage: str, device: str | None, expected: bool) -> None:
    assert use_bf16(setting, stage, torch.device(device) if device else None) is expected


def test_base_bf16_auto_detects_the_cpu_for_pretraining_and_inference() -> None:
    cpu = torch.device("cpu")
    assert use_bf16("auto", "pretrain", cpu) == use_bf16("auto", "inference", cpu) == cpu_has_bf16()
    with pytest.raises(ValueError, match="choose one of inference, pretrain, train"):
        use_bf16("auto", "predict", cpu)


def test_base_one_scratch_config_for_fine_tuning_and_pretraining() -> None:
    from zhner.train.pretrain import build_model, load_pretrain_config

    size = ScratchSize(layers=1, hidden=32, heads=2, intermediate=64, max_position=64)
    classifier, _ = build_token_classifier("scratch", TAGS, size, 100)
    sizes = "model.scratch={layers: 1, hidden: 32, heads: 2, intermediate: 64, max_position: 64}"
    mlm, _ = build_model(load_pretrain_config(None, ["data.inputs=[x]", sizes]))
    keys = ("hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size", "max_position_embeddings")
    assert {k: getattr(classifier.config, k) for k in keys} == {k: getattr(mlm.config, k) for k in keys}
    assert {k: getattr(scratch_config(size, 100), k) for k in keys} == {k: getattr(mlm.config, k) for k in keys}
