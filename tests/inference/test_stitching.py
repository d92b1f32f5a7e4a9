"""Offsets through real stitching: windows of long sentences, sentences of a document, characters without tokens.

The reference is always the gold spans (shifted by where the test put each sentence), never a slice
of the text the extractor returned.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
import torch
from zhner.annotate import LABELS, Span, read_gold, write_gold
from zhner.annotate.schema import BIO, BIOES, Scheme, spans_to_tags
from zhner.models.features import encode, predict_spans
from zhner.models.vocab import build_tokenizer

torch.set_num_threads(1)

TOKENIZER = build_tokenizer()
CHARS = list("浙江省经信厅海康威视杭州温岭集群产业营收亿元增长全国第二DVR12.5%，。")
BLANKS = [" ", "\u3000", "\t", "\u200b"]  # characters that give no token
SURE = 0.97  # the probability a one-hot score gives its tag


def random_sentence(rng: random.Random, n: int) -> tuple[str, list[Span]]:
    """A text with blanks here and there and flat spans whose edges are never blank."""
    text = "".join(rng.choice(BLANKS) if rng.random() < 0.08 else rng.choice(CHARS) for _ in range(n))
    spans, i = [], 0
    while i < n:
        length = rng.choice([1, 1, 2, 3, 5, 9, 14])
        end = i + length
        if rng.random() < 0.35 and end <= n and text[i] not in BLANKS and text[end - 1] not in BLANKS:
            spans.append(Span(i, end, rng.choice(LABELS)))
            i = end + rng.randint(0, 3)
        else:
            i += 1
    return text, spans


def one_hot(tag: str, tags: list[str]) -> np.ndarray:
    p = np.full(len(tags), (1 - SURE) / (len(tags) - 1))
    p[tags.index(tag)] = SURE
    return np.log(p)


def window_scores(enc, gold_tags: list[str], tags: list[str], scheme: Scheme, near: int) -> list[np.ndarray]:
    """Per window, one-hot scores of each character's gold tag, except within ``near`` label positions of
    a cut between two windows (not the sentence's own start or end): there, one-hot scores of a wrong tag."""
    wrong_for_o = f"{'S' if scheme.single else 'B'}-METRIC"
    out = []
    for w, win in enumerate(enc.windows):
        positions = [t for t, c in enumerate(win.char_index) if c >= 0]
        scores = np.log(np.full((len(win.input_ids), len(tags)), 1 / len(tags)))
        for k, t in enumerate(positions):
            to_cut = min(k if w > 0 else near, len(positions) - 1 - k if w < len(enc.windows) - 1 else near)
            gold = gold_tags[win.char_index[t]]
            tag = gold if to_cut >= near else ("O" if gold != "O" else wrong_for_o)
            scores[t] = one_hot(tag, tags)
        out.append(scores)
    return out


@pytest.mark.parametrize("scheme", [BIO, BIOES], ids=["bio", "bioes"])
@pytest.mark.parametrize("seed", range(6))
def test_predict_spans_stitches_each_character_from_a_window_away_from_a_cut(scheme: Scheme, seed: int) -> None:
    """Windows overlap by ``stride`` tokens; each disagrees with the gold within stride/2 - 1 positions of
    its cuts. Stitching must take every character from a window where it is away from a cut, so the
    decoded spans are exactly the gold, each with the probability of its tags."""
    rng = random.Random(seed)
    text, spans = random_sentence(rng, rng.randint(120, 220))
    max_length, stride = rng.choice([(16, 6), (24, 8), (20, 10)])
    tags = scheme.tags(LABELS)
    enc = encode(TOKENIZER, text, max_length=max_length, stride=stride)
    assert len(enc.windows) >= 8
    gold_tags = spans_to_tags(len(text), spans, scheme)  # blank characters have no token: never read
    near = stride // 2 - 1
    assert near >= 2  # the wrong scores reach into every overlap
    got = predict_spans(enc, window_scores(enc, gold_tags, tags, scheme, near), tags, scheme)
    assert [s for s, _ in got] == sorted(spans)
    assert [score for _, score in got] == pytest.approx([SURE] * len(spans))


def test_predict_spans_reads_the_wrong_scores_from_a_window_edge() -> None:
    """The check above can fail: scores that are wrong everywhere near a cut, including the owner's side,
    do change the output (so the stitching test is not vacuous)."""
    rng = random.Random(0)
    text, spans = random_sentence(rng, 200)
    tags = BIO.tags(LABELS)
    enc = encode(TOKENIZER, text, max_length=16, stride=6)
    gold_tags = spans_to_tags(len(text), spans, BIO)
    got = predict_spans(enc, window_scores(enc, gold_tags, tags, BIO, near=6), tags, BIO)
    assert [s for s, _ in got] != sorted(spans)


# --- a real model through the Extractor ---------------------------------------------------------------

SENTENCES = [0, 13, 15]  # article sentences: 103 characters with 12 mentions, one with a space, one of 52


@pytest.fixture(scope="module")
def overfit_short_windows(tmp_path_factory, request) -> tuple[Path, list]:
    """A tiny model that learned three article sentences by heart, in windows of 30 characters."""
    from zhner.train.config import load_config
    from zhner.train.run import run

    root = Path(request.config.rootpath)
    tmp = tmp_path_factory.mktemp("stitch")
    records = read_gold(root / "data/gold/article.jsonl")
    three = [records[i] for i in SENTENCES]
    gold = tmp / "three.jsonl"
    write_gold(gold, three)
    cfg = load_config(
        root / "configs/tiny.yaml",
        [
            f"data.train=[{gold}]",
            f"data.dev=[{gold}]",
            "data.limit=0",
            "training.epochs=60",
            "training.learning_rate=0.003",
            "training.batch_size=4",
            "model.max_length=32",
            "model.stride=8",
        ],
    )
    result = run(cfg, output=tmp / "model", progress=False)
    assert result["dev"]["micro"]["f1"] == 1.0  # learned by heart, as the training loop scores it
    return tmp / "model", three


def test_extractor_offsets_of_a_document_through_windows_and_sentences(overfit_short_windows) -> None:
    """One document of three sentences with whitespace around them, the long one in several windows:
    the entities are the gold of each sentence shifted by where it starts in the document."""
    from zhner.inference import Extractor

    model, three = overfit_short_windows
    ex = Extractor.load(model, bf16="false")
    assert len(encode(ex.tokenizer, three[0].text, max_length=32, stride=8).windows) >= 4
    separators = ["\n  ", "\u3000\n", " \n\t", "\n"]  # before each sentence, and after the last
    document, expected = "", []
    for sep, rec in zip(separators, three):
        document += sep
        expected += [s.shifted(len(document)) for s in rec.entities]
        document += rec.text
    document += separators[-1]
    ents = ex(document)
    assert [e.span for e in ents] == sorted(expected)
    assert [e.text for e in ents] == [s.text_in(document) for s in sorted(expected)]

    # the same sentences as separate texts of one batch, and in a different order, give the same spans
    alone = ex.extract_many([r.text for r in reversed(three)], batch_size=3)
    assert [[e.span for e in es] for es in alone] == [sorted(r.entities) for r in reversed(three)]
