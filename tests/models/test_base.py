"""models.base: the fine-tuning dropout override (model.dropout)."""

from __future__ import annotations

from models.base import ScratchSize, build_token_classifier

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
