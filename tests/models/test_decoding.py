"""Decoding: Viterbi output is valid and optimal; the CRF's partition function is the sum over all paths.

Every reference value here is computed by enumerating all tag sequences (short sequences only).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from zhner.annotate.schema import BIO, BIOES, LABELS, Scheme, TagSequenceError, tags_to_spans
from zhner.models.heads import viterbi

torch.set_num_threads(1)

SCHEMES = {"bio": BIO, "bioes": BIOES}


def is_valid(seq: list[str], scheme: Scheme) -> bool:
    """The scheme's strict reading of a whole sentence: allowed at the start, at every step, and at the end."""
    try:
        tags_to_spans(seq, scheme, strict=True)
    except TagSequenceError:
        return False
    return True


def all_paths(n_tags: int, length: int) -> np.ndarray:
    """Every sequence of ``length`` tag indices, one a row."""
    return np.array(list(itertools.product(range(n_tags), repeat=length)), dtype=np.int64).reshape(-1, length)


def path_scores(paths: np.ndarray, emissions: np.ndarray, trans=None, start=None, end=None) -> np.ndarray:
    """Total score of each path: emissions, plus transition, start and end scores when given."""
    steps = np.arange(paths.shape[1])
    total = emissions[steps, paths].sum(axis=1)
    if trans is not None:
        total = total + trans[paths[:, :-1], paths[:, 1:]].sum(axis=1) + start[paths[:, 0]] + end[paths[:, -1]]
    return total


def random_case(seed: int, n: int, scheme: Scheme, with_crf: bool):
    rng = np.random.default_rng(seed)
    tags = scheme.tags(LABELS)
    logits = rng.normal(scale=3.0, size=(n, len(tags)))
    logprobs = logits - np.logaddexp.reduce(logits, axis=1, keepdims=True)
    crf = None
    if with_crf:
        crf = tuple(rng.normal(scale=2.0, size=shape) for shape in [(len(tags), len(tags)), (len(tags),), (len(tags),)])
    return tags, logprobs, crf


@pytest.mark.parametrize("name", ["bio", "bioes"])
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 40), with_crf=st.booleans())
def test_viterbi_output_is_valid_for_random_scores(name: str, seed: int, n: int, with_crf: bool) -> None:
    """Whatever the scores (and learned CRF scores, which may favour forbidden steps), the path obeys the scheme."""
    scheme = SCHEMES[name]
    tags, logprobs, crf = random_case(seed, n, scheme, with_crf)
    best = viterbi(logprobs, tags, scheme, crf)
    assert len(best) == n
    assert is_valid(best, scheme), best


@pytest.mark.parametrize(("name", "max_len"), [("bio", 4), ("bioes", 3)])
@given(seed=st.integers(0, 2**32 - 1), data=st.data(), with_crf=st.booleans())
def test_viterbi_is_optimal_by_brute_force(name: str, max_len: int, seed: int, data, with_crf: bool) -> None:
    """No valid sequence scores higher than Viterbi's (scores: emissions, plus the CRF's when given)."""
    scheme = SCHEMES[name]
    n = data.draw(st.integers(1, max_len))
    tags, logprobs, crf = random_case(seed, n, scheme, with_crf)
    best = viterbi(logprobs, tags, scheme, crf)
    paths = all_paths(len(tags), n)
    valid = np.array([is_valid([tags[k] for k in p], scheme) for p in paths])
    scores = path_scores(paths[valid], logprobs, *(crf or ()))
    index = {t: k for k, t in enumerate(tags)}
    mine = path_scores(np.array([[index[t] for t in best]]), logprobs, *(crf or ()))[0]
    assert mine == pytest.approx(scores.max(), abs=1e-9)


def test_viterbi_prefers_a_valid_path_over_a_better_invalid_one() -> None:
    """Greedy argmax gives I-LOC I-LOC (invalid in both schemes): Viterbi must not."""
    for scheme in (BIO, BIOES):
        tags = scheme.tags(LABELS)
        logprobs = np.full((2, len(tags)), np.log(0.01))
        logprobs[:, tags.index("I-LOC")] = np.log(0.9)
        best = viterbi(logprobs, tags, scheme)
        assert is_valid(best, scheme) and best != ["I-LOC", "I-LOC"]


def crf_model(scheme: str, seed: int):
    from transformers import BertConfig
    from zhner.models.crf import BertCrfForTokenClassification

    tags = SCHEMES[scheme].tags(LABELS)
    config = BertConfig(
        vocab_size=30,
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=32,
        id2label=dict(enumerate(tags)),
        label2id={t: i for i, t in enumerate(tags)},
        tagging_scheme=scheme,
        hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0,
    )
    torch.manual_seed(seed)
    model = BertCrfForTokenClassification(config).eval()
    with torch.no_grad():  # learned scores far from the zero initialisation
        model.crf_transitions.normal_(0, 2)
        model.crf_start.normal_(0, 2)
        model.crf_end.normal_(0, 2)
    return model, tags


def brute_force_nll(model, emissions: torch.Tensor, labels: torch.Tensor) -> float:
    """Mean over rows with any label of log(sum over all paths of exp(score)) - score(gold path).

    A row's path runs over its label-bearing positions (labels != -100), in order; the transition
    scores are the CRF's learned ones plus its fixed penalty on the steps the scheme forbids.
    """
    trans = model.transition_scores().detach().double().numpy()
    start = model.crf_start.detach().double().numpy()
    end = model.crf_end.detach().double().numpy()
    losses = []
    for em, lab in zip(emissions.detach().double().numpy(), labels.numpy()):
        keep = lab != -100
        if not keep.any():
            continue
        em, gold = em[keep], lab[keep]
        scores = path_scores(all_paths(em.shape[1], len(gold)), em, trans, start, end)
        log_z = np.logaddexp.reduce(scores)
        losses.append(log_z - path_scores(gold[None, :], em, trans, start, end)[0])
    return float(np.mean(losses))


@pytest.mark.parametrize(("scheme", "seed"), [("bio", 0), ("bio", 1), ("bioes", 2)])
def test_crf_loss_is_log_partition_minus_gold_score_by_enumeration(scheme: str, seed: int) -> None:
    """The CRF's forward loss equals brute-force enumeration of every path, over the label-bearing
    positions only (specials and continuations are -100), for rows of different lengths."""
    model, tags = crf_model(scheme, seed)
    gen = torch.Generator().manual_seed(seed)
    ids = torch.randint(5, 30, (4, 7), generator=gen)
    mask = torch.ones_like(ids)
    mask[2, 5:] = 0  # a shorter, padded row
    labels = torch.full((4, 7), -100)
    kept = [[1, 2, 3, 4, 5], [1, 2, 4, 5], [1, 2, 3], [1]]  # [CLS], [SEP], a continuation, padding: -100
    rng = np.random.default_rng(seed)
    for row, positions in enumerate(kept):  # gold: a path the scheme allows (random labels would be -10,000s apart)
        path = viterbi(rng.normal(size=(len(positions), len(tags))), tags, SCHEMES[scheme])
        labels[row, positions] = torch.tensor([tags.index(t) for t in path])
    out = model(input_ids=ids, attention_mask=mask, labels=labels)
    expected = brute_force_nll(model, out.logits, labels)
    assert out.loss.item() == pytest.approx(expected, rel=1e-5, abs=1e-4)


def test_crf_loss_ignores_rows_without_labels() -> None:
    model, _ = crf_model("bio", 3)
    ids = torch.randint(5, 30, (2, 5), generator=torch.Generator().manual_seed(3))
    labels = torch.tensor([[-100, 1, 2, 0, -100], [-100] * 5])
    out = model(input_ids=ids, labels=labels)
    assert out.loss.item() == pytest.approx(brute_force_nll(model, out.logits, labels), rel=1e-5, abs=1e-4)
