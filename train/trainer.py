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

    def __init__(self, *args, sample_weights: list[float] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.sample_weights = sample_weights

    def _get_train_sampler(self, train_dataset=None):
        if self.sample_weights is None:
            return super()._get_train_sampler(train_dataset)
        generator = torch.Generator().manual_seed(
            self.args.data_seed if self.args.data_seed is not None else self.args.seed
        )
        draws = max(1, round(sum(self.sample_weights)))
        return WeightedRandomSampler(self.sample_weights, draws, replacement=True, generator=generator)

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        if "tag_mask" not in inputs:
            return super().compute_loss(model, inputs, return_outputs, num_items_in_batch)
        inputs = dict(inputs)  # the caller keeps its own view of the batch
        mask = inputs.pop("tag_mask")
        labels = inputs.pop("labels")
        outputs = model(**inputs)
        logits = outputs.logits.float().masked_fill(~mask[:, None, :], -1e4)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.size(-1)), labels.reshape(-1))
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
