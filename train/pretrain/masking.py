"""The masked-language-model objective: BERT masking of packed blocks, and the loss at the masked positions."""

from __future__ import annotations

import numpy as np
import torch


def block_ids(blocks: np.ndarray, rows: np.ndarray | slice, device: torch.device) -> torch.Tensor:
    """Rows of a (memory-mapped) block array as int64 token ids on ``device``."""
    return torch.from_numpy(np.asarray(blocks[rows], dtype=np.int64)).to(device, non_blocking=True)


def mask_tokens(
    ids: torch.Tensor, tokenizer, prob: float, gen: torch.Generator, starts: torch.Tensor | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """BERT masking (80% [MASK], 10% random, 10% kept) of ``prob`` of each row's non-special tokens.

    Exactly ``round(prob * n)`` positions are chosen in a row of ``n`` maskable
    tokens, so packed blocks always give the same number of predictions per
    batch: constant tensor shapes keep the CPU allocator from fragmenting (with
    a random count, resident memory grew past 8 GB in a long run).
    With ``starts`` (1 where a token begins a word) whole words are chosen:
    every token of a word shares the word's random score, so words are taken
    in score order and only the last word of a row may be cut.
    Returns (masked input ids, labels) with -100 wherever no prediction is asked.
    """
    special = (ids == tokenizer.cls_token_id) | (ids == tokenizer.sep_token_id) | (ids == tokenizer.pad_token_id)
    scores = torch.rand(ids.shape, generator=gen, device=ids.device)
    if starts is not None:  # the score of a token's word: the draw at the word's index
        scores = scores.gather(1, (starts.long().cumsum(dim=1) - 1).clamp(min=0))
    scores = scores.masked_fill(special, 2.0)
    k = ((~special).sum(dim=1, keepdim=True) * prob).round().long()
    ranks = scores.argsort(dim=1, stable=True).argsort(dim=1)
    chosen = ranks < k
    labels = ids.masked_fill(~chosen, -100)
    r = torch.rand(ids.shape, generator=gen, device=ids.device)
    random_ids = torch.randint(5, len(tokenizer), ids.shape, generator=gen, device=ids.device)
    # torch.where, not boolean indexing: no wait for the GPU inside the step
    inputs = torch.where(chosen & (r < 0.8), tokenizer.mask_token_id, ids)
    inputs = torch.where(chosen & (r >= 0.8) & (r < 0.9), random_ids, inputs)
    return inputs, labels


def mlm_loss(model, inputs: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Cross-entropy at the masked positions only: the vocabulary projection never sees the others."""
    hidden = model.bert(input_ids=inputs).last_hidden_state
    where = labels != -100
    logits = model.cls(hidden[where])
    return torch.nn.functional.cross_entropy(logits.float(), labels[where])
