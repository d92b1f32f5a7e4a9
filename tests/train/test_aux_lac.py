"""training.aux_lac: an auxiliary head learns LAC's per-character labels while training; it is never saved."""

from __future__ import annotations

import json

import torch
from safetensors import safe_open
from zhner.models.charfeats import lac_label_names, lac_labels
from zhner.models.features import encode_batch
from zhner.models.vocab import build_tokenizer
from zhner.train.data import to_dataset
from zhner.train.trainer import AUX_HEAD, AuxCollator, NerTrainer, add_aux_head


def test_aux_labels_sit_on_each_characters_first_token() -> None:
    text = "华为在深圳投资"
    [enc] = encode_batch(build_tokenizer(), [text], max_length=16, stride=4)
    aux = lac_labels([text])
    [row] = to_dataset([enc], aux=aux)
    kept = [a for a in row["aux_labels"] if a != -100]
    assert kept == aux[0]
    names = lac_label_names()
    assert [names[a] for a in aux[0][:2]] == ["ORG-B", "ORG-I"]  # LAC knows 华为 as an organisation


def test_aux_collator_pads_and_leaves_the_rows_alone() -> None:
    from transformers import DataCollatorForTokenClassification

    tok = build_tokenizer()
    rows = [
        {
            "input_ids": [2, 5, 6, 3],
            "attention_mask": [1] * 4,
            "labels": [-100, 0, 1, -100],
            "aux_labels": [-100, 4, 5, -100],
        },
        {"input_ids": [2, 5, 3], "attention_mask": [1] * 3, "labels": [-100, 0, -100], "aux_labels": [-100, 7, -100]},
    ]
    before = json.dumps(rows)
    batch = AuxCollator(DataCollatorForTokenClassification(tok))(rows)
    assert batch["aux_labels"].tolist() == [[-100, 4, 5, -100], [-100, 7, -100, -100]]
    assert json.dumps(rows) == before  # a row keeps its aux labels for the next epoch


def test_aux_loss_adds_to_the_task_loss_and_trains_the_head(tiny_model, tmp_path) -> None:
    from transformers import AutoModelForTokenClassification, TrainingArguments

    model = AutoModelForTokenClassification.from_pretrained(tiny_model)
    add_aux_head(model, len(lac_label_names()))
    batch = {
        "input_ids": torch.tensor([[2, 10, 11, 12, 3]]),
        "attention_mask": torch.ones(1, 5, dtype=torch.long),
        "labels": torch.tensor([[-100, 0, 0, 0, -100]]),
    }
    aux = torch.tensor([[-100, 1, 2, 3, -100]])
    args = TrainingArguments(output_dir=str(tmp_path), use_cpu=True, report_to=[])
    trainer = NerTrainer(model=model, args=args, aux_weight=1.0)
    plain = trainer.compute_loss(model, dict(batch))
    with_aux = trainer.compute_loss(model, {**batch, "aux_labels": aux})
    assert with_aux > plain
    with_aux.backward()
    assert getattr(model, AUX_HEAD).weight.grad.abs().sum() > 0


def test_a_model_trained_with_aux_lac_saves_no_aux_head(root, tmp_path) -> None:
    from zhner.train.config import load_config
    from zhner.train.run import run

    torch.set_num_threads(1)
    out = tmp_path / "m"
    run(load_config(root / "configs/tiny.yaml", ["training.epochs=1", "training.aux_lac=0.5"]), output=out)
    with safe_open(out / "model.safetensors", "pt") as f:
        assert not [k for k in f.keys() if AUX_HEAD in k]  # noqa: SIM118 (safe_open is no dict)
    assert json.loads((out / "zhner.json").read_text())["config"]["training"]["aux_lac"] == 0.5
