"""The masked loss and the weighted sampler inside real NerTrainer training (train/run.py), not called by hand."""

from __future__ import annotations

import json

import pytest
import torch
from torch.utils.data import WeightedRandomSampler
from zhner.annotate.schema import BIO, LABELS
from zhner.train.config import load_config

torch.set_num_threads(1)
TAGS = BIO.tags(LABELS)


@pytest.fixture
def corpora(tmp_path):
    """Two one-line-each partial corpora, written here: CLUENER (ORG only) and char/BIO (LOC, ORG)."""
    cl = tmp_path / "cl.json"
    rows = [
        {
            "text": "杭州海康威视与市政府签约",
            "label": {"company": {"海康威视": [[2, 5]]}, "government": {"市政府": [[7, 9]]}},
        },
        {"text": "小米在北京发布新品", "label": {"company": {"小米": [[0, 1]]}}},
    ]
    cl.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    bio = tmp_path / "pd.bio"
    bio.write_text("在 O\n北 B-LOC\n京 I-LOC\n开 O\n会 O\n\n新 B-ORG\n华 I-ORG\n社 I-ORG\n", encoding="utf-8")
    return cl, bio


def sampler_of(loader) -> object:
    """The sampler that orders a (possibly accelerate-wrapped) DataLoader's rows."""
    for holder in (getattr(loader, "batch_sampler", None), loader, getattr(loader, "base_dataloader", None)):
        sampler = getattr(holder, "sampler", None)
        while sampler is not None and hasattr(sampler, "sampler") and not isinstance(sampler, WeightedRandomSampler):
            sampler = sampler.sampler
        if sampler is not None:
            return sampler
    raise AssertionError(f"no sampler found in {loader!r}")


def test_masked_tags_get_exactly_zero_gradient_in_a_real_training_step(corpora, root, tmp_path, monkeypatch) -> None:
    """Gold sentences and partial corpora in the same batches: at every real step, the loss gradient on
    each row's logits is exactly zero for the tags its source does not annotate, and not for the others."""
    from zhner.train.run import NerTrainer, run

    cl, bio = corpora
    cfg = load_config(
        root / "configs/tiny.yaml",
        [
            "training.epochs=1",
            "training.batch_size=16",
            f"data.transfer=[{{path: {cl}, format: cluener}}, {{path: {bio}, format: bio}}]",
        ],
    )
    real_step = NerTrainer.training_step
    checked = {"steps": 0, "partial_rows": 0, "full_rows": 0}
    annotated = {  # what each source annotates, as the tags the loss may see
        frozenset(TAGS): "gold",
        frozenset(["O", "B-ORG", "I-ORG"]): "cluener",
        frozenset(["O", "B-ORG", "I-ORG", "B-LOC", "I-LOC"]): "bio",
    }

    def checked_step(self, model, inputs, *args, **kwargs):
        assert "tag_mask" in inputs  # the batch reaches compute_loss with its masks
        grads = {}

        def keep(module, args_, logits):
            logits.register_hook(lambda g: grads.setdefault("logits", g.detach().clone()))

        handle = model.classifier.register_forward_hook(keep)
        try:
            loss = real_step(self, model, inputs, *args, **kwargs)
        finally:
            handle.remove()
        grad, labels = grads["logits"], inputs["labels"]
        for row, mask in enumerate(inputs["tag_mask"]):
            seen = frozenset(t for t, m in zip(TAGS, mask.tolist()) if m)
            assert seen in annotated
            real = labels[row] != -100
            masked = [k for k, t in enumerate(TAGS) if t not in seen]
            assert torch.count_nonzero(grad[row][:, masked]) == 0
            allowed = [k for k, t in enumerate(TAGS) if t in seen]
            assert torch.count_nonzero(grad[row][real][:, allowed]) > 0
            checked["partial_rows" if masked else "full_rows"] += 1
        checked["steps"] += 1
        return loss

    monkeypatch.setattr(NerTrainer, "training_step", checked_step)
    run(cfg, output=tmp_path / "m", progress=False)
    assert checked["steps"] >= 1 and checked["partial_rows"] == 4 and checked["full_rows"] > 0


def test_training_draws_its_epochs_from_the_weighted_sampler(corpora, root, tmp_path, monkeypatch) -> None:
    """With transfer weight 3, the DataLoader the Trainer iterates is ordered by a WeightedRandomSampler over
    every row's weight, and each epoch feeds round(sum of weights) rows, not one pass over the rows."""
    from zhner.train.run import NerTrainer, run

    cl, _ = corpora
    real_loader, real_step = NerTrainer.get_train_dataloader, NerTrainer.training_step
    loaders, fed = [], []

    def recorded_loader(self):
        loader = real_loader(self)
        loaders.append(loader)
        return loader

    def counted_step(self, model, inputs, *args, **kwargs):
        fed.append((int(self.state.epoch or 0), len(inputs["input_ids"])))
        return real_step(self, model, inputs, *args, **kwargs)

    monkeypatch.setattr(NerTrainer, "get_train_dataloader", recorded_loader)
    monkeypatch.setattr(NerTrainer, "training_step", counted_step)
    rows = {}
    for weight in (1, 3):
        loaders.clear()
        fed.clear()
        cfg = load_config(
            root / "configs/tiny.yaml", ["training.epochs=2", f"data.transfer=[{{path: {cl}, weight: {weight}}}]"]
        )
        result = run(cfg, output=tmp_path / f"w{weight}", progress=False)
        (loader,) = loaders
        per_epoch = [sum(n for e, n in fed if e == epoch) for epoch in (0, 1)]
        rows[weight] = per_epoch
        sampler = sampler_of(loader)
        if weight == 1:
            assert not isinstance(sampler, WeightedRandomSampler)  # all weights 1: plain shuffled epochs
            assert per_epoch == [len(loader.dataset)] * 2
            continue
        assert isinstance(sampler, WeightedRandomSampler)
        assert sampler.replacement
        weights = sampler.weights.tolist()
        assert len(weights) == len(loader.dataset) and sorted(weights) == [1.0] * (len(weights) - 2) + [3.0, 3.0]
        assert sampler.num_samples == round(sum(weights)) == len(weights) + 4
        assert per_epoch == [sampler.num_samples] * 2 == [result["rows_per_epoch"]] * 2
    assert rows[3][0] - rows[1][0] == 4  # two sentences of weight 3 count as six rows, not two
