"""The Trainer and what mixed sources need of it: the masked loss, the weighted sampler, the collator
that carries each row's tag mask, and the dev scorer (window logits → sentence spans → strict scores)."""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import WeightedRandomSampler
from transformers import DataCollatorForTokenClassification, Trainer
from zhner.annotate import LABELS, SCHEMES, Record
from zhner.models.features import Encoded, predict_spans
from zhner.models.heads import crf_scores
from zhner.train.metrics import strict_scores

PAD_LABEL = -100  # what the Trainer pads gathered inputs and predictions with
AUX_HEAD = "lac_aux"  # the auxiliary LAC-label head's attribute on the model (training.aux_lac); never saved


def add_aux_head(model, n_labels: int) -> None:
    """A linear head from the encoder's last hidden states to ``n_labels`` (LAC's labels), as ``AUX_HEAD``."""
    setattr(model, AUX_HEAD, torch.nn.Linear(model.config.hidden_size, n_labels))


def drop_aux_head(model) -> None:
    if hasattr(model, AUX_HEAD):
        delattr(model, AUX_HEAD)


class AuxCollator:
    """A collator, passing each row's ``aux_labels`` through, padded with -100 to the batch's width."""

    def __init__(self, base) -> None:
        self.base = base

    def __call__(self, features: list[dict]) -> dict:
        aux = [f.get("aux_labels") for f in features]
        batch = self.base([{k: v for k, v in f.items() if k != "aux_labels"} for f in features])
        if any(a is not None for a in aux):
            width = batch["input_ids"].shape[1]
            rows = [(a or [])[:width] for a in aux]
            batch["aux_labels"] = torch.tensor([r + [PAD_LABEL] * (width - len(r)) for r in rows])
        return batch


class MaskedCollator:
    """DataCollatorForTokenClassification, passing each row's ``tag_mask`` through as a tensor."""

    def __init__(self, base: DataCollatorForTokenClassification) -> None:
        self.base = base

    def __call__(self, features: list[dict]) -> dict:
        masks = [f["tag_mask"] for f in features]
        batch = self.base([{k: v for k, v in f.items() if k != "tag_mask"} for f in features])
        batch["tag_mask"] = torch.tensor(masks, dtype=torch.bool)
        return batch


class NerTrainer(Trainer):
    """The Trainer, plus what mixed sources need.

    - A batch with ``tag_mask`` (partial labels): cross-entropy with the tags a sentence's source
      does not annotate excluded from its softmax.
    - ``sample_weights`` (one per training row): each epoch draws ``round(sum(weights))`` rows with
      replacement, in proportion to their weights (train.transfer, ``weight``).
    """

    def __init__(self, *args, sample_weights: list[float] | None = None, aux_weight: float = 0.0, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.sample_weights = sample_weights
        self.aux_weight = aux_weight

    def _get_train_sampler(self, train_dataset=None):
        if self.sample_weights is None:
            return super()._get_train_sampler(train_dataset)
        generator = torch.Generator().manual_seed(
            self.args.data_seed if self.args.data_seed is not None else self.args.seed
        )
        draws = max(1, round(sum(self.sample_weights)))
        return WeightedRandomSampler(self.sample_weights, draws, replacement=True, generator=generator)

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        if "aux_labels" in inputs:
            return self._with_aux(model, inputs, return_outputs, num_items_in_batch)
        if "tag_mask" not in inputs:
            return super().compute_loss(model, inputs, return_outputs, num_items_in_batch)
        inputs = dict(inputs)  # the caller keeps its own view of the batch
        mask = inputs.pop("tag_mask")
        labels = inputs.pop("labels")
        outputs = model(**inputs)
        logits = outputs.logits.float().masked_fill(~mask[:, None, :], -1e4)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.size(-1)), labels.reshape(-1))
        return (loss, outputs) if return_outputs else loss

    def _with_aux(self, model, inputs, return_outputs, num_items_in_batch):
        """The task loss plus ``aux_weight`` × the auxiliary head's cross-entropy on LAC's labels."""
        inputs = dict(inputs)
        aux_labels = inputs.pop("aux_labels")
        captured: dict[str, torch.Tensor] = {}

        def keep(_module, _inputs, out) -> None:  # returns None: the encoder's output is left as it is
            captured["hidden"] = out[0]

        hook = getattr(model, model.base_model_prefix).register_forward_hook(keep)
        try:
            loss, outputs = self.compute_loss(model, inputs, True, num_items_in_batch)
        finally:
            hook.remove()
        aux_logits = getattr(model, AUX_HEAD)(captured["hidden"]).float()
        aux = torch.nn.functional.cross_entropy(
            aux_logits.reshape(-1, aux_logits.size(-1)), aux_labels.reshape(-1), ignore_index=PAD_LABEL
        )
        loss = loss + self.aux_weight * aux
        return (loss, outputs) if return_outputs else loss


def make_scorer(
    records: list[Record], encoded: list[Encoded], tags: list[str], scheme_name: str, pad_id: int, model=None
):
    """compute_metrics for the Trainer: window logits → sentence spans → strict scores.

    Rows are matched to windows by their input ids, not by position: under
    data-parallel evaluation the gathered rows need not come back in dataset
    order. Windows with identical ids get identical logits, so this is exact.
    """
    scheme = SCHEMES[scheme_name]

    def compute(eval_pred) -> dict[str, float]:
        logits = eval_pred.predictions
        logits = logits[0] if isinstance(logits, tuple) else logits
        logp = torch.log_softmax(torch.from_numpy(np.asarray(logits, dtype=np.float32)), dim=-1).numpy()
        by_ids = {}
        for row, ids in zip(logp, np.asarray(eval_pred.inputs)):
            real = np.flatnonzero((ids != PAD_LABEL) & (ids != pad_id))  # the collator pads with pad_id
            by_ids[tuple(ids[: real[-1] + 1].tolist())] = row
        crf = crf_scores(model) if model is not None else None
        preds = []
        for e in encoded:
            window_scores = [by_ids[tuple(w.input_ids)] for w in e.windows]
            preds.append([s for s, _ in predict_spans(e, window_scores, tags, scheme, crf)])
        scores = strict_scores([r.entities for r in records], preds)
        flat = {"f1": scores["micro"]["f1"], "precision": scores["micro"]["precision"]}
        flat["recall"] = scores["micro"]["recall"]
        flat.update({f"f1_{lab}": scores[lab]["f1"] for lab in LABELS})
        if torch.distributed.is_available() and torch.distributed.is_initialized():
            # every rank must take the same best-model and early-stopping decisions: use rank 0's scores
            shared = [flat, scores]
            torch.distributed.broadcast_object_list(shared, src=0)
            flat, scores = shared
        compute.last = scores
        return flat

    compute.last = {}
    return compute
