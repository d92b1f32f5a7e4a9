"""A linear-chain CRF head on BERT (``model.head: crf``).

The emissions are BERT's token-classification logits; the CRF adds learned
transition, start and end scores. It runs over the label-bearing positions of
each window only (the first sub-token of each character; specials and
continuations are skipped), so it sees exactly the character sequence the
softmax head is trained on. Transitions the tagging scheme forbids (I-X after
O, I-X after B-Y) get a fixed -10,000, so training never learns them and
decoding (:func:`models.heads.viterbi` with these scores) never produces them.
Start scores are not constrained: a window may begin inside an entity.

Saved with ``save_pretrained`` like any model; ``transformers.pipeline`` loads
the same directory as a plain softmax tagger (it ignores the CRF weights).
"""

from __future__ import annotations

import torch
from torch import nn
from transformers import BertForTokenClassification
from transformers.modeling_outputs import TokenClassifierOutput
from zhner.annotate.schema import SCHEMES

FORBIDDEN = -10_000.0


class BertCrfForTokenClassification(BertForTokenClassification):
    def __init__(self, config) -> None:
        super().__init__(config)
        n = config.num_labels
        self.crf_transitions = nn.Parameter(torch.zeros(n, n))
        self.crf_start = nn.Parameter(torch.zeros(n))
        self.crf_end = nn.Parameter(torch.zeros(n))
        scheme = SCHEMES[getattr(config, "tagging_scheme", "bio")]
        tags = [config.id2label[i] for i in range(n)]
        allowed = torch.tensor([[scheme.allowed(p, c) for c in tags] for p in tags])
        self.register_buffer("crf_mask", torch.where(allowed, 0.0, FORBIDDEN), persistent=False)
        self.post_init()

    def transition_scores(self) -> torch.Tensor:
        return self.crf_transitions + self.crf_mask

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, labels=None, **kwargs):
        out = super().forward(
            input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids, **kwargs
        )
        loss = None
        if labels is not None:
            loss = self.nll(out.logits, labels)
        return TokenClassifierOutput(loss=loss, logits=out.logits)

    def nll(self, emissions: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Mean negative log-likelihood of the gold tags over each row's label-bearing positions."""
        keep = labels != -100
        lengths = keep.sum(dim=1)
        rows = lengths > 0
        emissions, keep, labels, lengths = emissions[rows], keep[rows], labels[rows], lengths[rows]
        if len(lengths) == 0:
            return emissions.sum() * 0.0
        width = int(lengths.max())
        # compact the kept positions of each row to the left
        order = torch.argsort((~keep).int(), dim=1, stable=True)[:, :width]
        em = torch.gather(emissions.float(), 1, order.unsqueeze(-1).expand(-1, -1, emissions.size(-1)))
        tags = torch.gather(labels, 1, order)
        mask = torch.arange(width, device=lengths.device)[None, :] < lengths[:, None]
        tags = tags.masked_fill(~mask, 0)
        trans = self.transition_scores()

        # score of the gold path
        idx = torch.arange(len(tags), device=tags.device)
        gold = self.crf_start[tags[:, 0]] + em[idx, 0, tags[:, 0]]
        for t in range(1, width):
            step = trans[tags[:, t - 1], tags[:, t]] + em[idx, t, tags[:, t]]
            gold = gold + step * mask[:, t]
        last = tags[idx, lengths - 1]
        gold = gold + self.crf_end[last]

        # log partition function (forward algorithm)
        alpha = self.crf_start[None, :] + em[:, 0]
        for t in range(1, width):
            nxt = torch.logsumexp(alpha[:, :, None] + trans[None, :, :], dim=1) + em[:, t]
            alpha = torch.where(mask[:, t, None], nxt, alpha)
        log_z = torch.logsumexp(alpha + self.crf_end[None, :], dim=1)
        return (log_z - gold).mean()
