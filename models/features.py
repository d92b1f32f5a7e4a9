"""Characters ↔ tokens: the one alignment used by training, evaluation and inference.

Each character of a sentence is fed to the fast tokenizer as a pre-split word
(``is_split_into_words=True``), so a token never straddles two characters and
every span edge falls on a token edge. A character may give no token at all
(whitespace, control characters): such characters carry no label and are
skipped when tags are read back, so a decoded span never starts or ends on one.
A character that gives several sub-tokens is labelled on its first one; the
others get -100, as do the special tokens.

Sentences longer than ``max_length`` tokens become overlapping windows
(``stride`` tokens of overlap); when reading predictions back, each character
takes the window in which it sits furthest from an edge.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from zhner.annotate.schema import BIO, Scheme, Span, spans_to_tags, tags_to_spans

IGNORE = -100


@dataclass
class Window:
    """One model input: token ids and, per token, the character it labels (-1: none)."""

    input_ids: list[int]
    char_index: list[int]
    labels: list[int] = field(default_factory=list)
    token_types: list[int] | None = None  # per token, the character's knowledge id (models.charfeats); None: off


@dataclass
class Encoded:
    """A sentence as windows, plus the spans that could not be aligned (with the reason)."""

    windows: list[Window]
    unaligned: list[tuple[Span, str]]
    n_chars: int


def encode_batch(
    tokenizer,
    texts: Sequence[str],
    *,
    max_length: int,
    stride: int,
    spans: Sequence[Sequence[Span]] | None = None,
    label2id: dict[str, int] | None = None,
    scheme: Scheme = BIO,
    char_ids: Sequence[Sequence[int]] | None = None,
) -> list[Encoded]:
    """Windows for each text (one tokenizer call for all); with ``spans`` and ``label2id``, token labels too.

    With ``char_ids`` (one id per character of each text, :mod:`models.charfeats`), each window carries
    token types: every piece of a character gets its id, specials 0.

    A span is unaligned when its first or last character yields no token; it
    is reported, never shifted, and its characters are labelled O.
    """
    out = [Encoded([], [], len(t)) for t in texts]
    has_token = [[False] * len(t) for t in texts]
    todo = [i for i, t in enumerate(texts) if t]
    if todo:
        enc = tokenizer(
            [list(texts[i]) for i in todo],
            is_split_into_words=True,
            truncation=True,
            max_length=max_length,
            stride=stride,
            return_overflowing_tokens=True,
        )
        for w, sample in enumerate(enc["overflow_to_sample_mapping"]):
            i = todo[sample]
            char_index = []
            prev = None
            for wid in enc.word_ids(w):
                char_index.append(wid if wid is not None and wid != prev else -1)
                if wid is not None:
                    has_token[i][wid] = True
                prev = wid
            types = None
            if char_ids is not None:
                types = [0 if wid is None else char_ids[i][wid] for wid in enc.word_ids(w)]
            out[i].windows.append(Window(list(enc["input_ids"][w]), char_index, token_types=types))
    if spans is None or label2id is None:
        return out
    for i, text in enumerate(texts):
        aligned = []
        for span in spans[i]:
            edges = [c for c in (span.start, span.end - 1) if not has_token[i][c]]
            if edges:
                out[i].unaligned.append((span, f"character {edges[0]} ({text[edges[0]]!r}) gives no token"))
            else:
                aligned.append(span)
        tags = _tags_over_tokens(len(text), aligned, has_token[i], scheme)
        for win in out[i].windows:
            win.labels = [label2id[tags[c]] if c >= 0 else IGNORE for c in win.char_index]
    return out


def encode(tokenizer, text: str, *, spans: Sequence[Span] | None = None, **kw) -> Encoded:
    """:func:`encode_batch` for one text."""
    return encode_batch(tokenizer, [text], spans=None if spans is None else [spans], **kw)[0]


def _tags_over_tokens(n: int, spans: Sequence[Span], has_token: list[bool], scheme: Scheme) -> list[str]:
    """Character tags computed over the characters that have a token (others are O and ignored)."""
    kept = [i for i in range(n) if has_token[i]]
    pos = {c: k for k, c in enumerate(kept)}
    compact = [Span(pos[s.start], pos[s.end - 1] + 1, s.label) for s in spans]
    tags = ["O"] * n
    for k, tag in enumerate(spans_to_tags(len(kept), compact, scheme)):
        tags[kept[k]] = tag
    return tags


def owner_windows(encoded: Encoded) -> dict[int, tuple[int, int]]:
    """For each character with a token: ``(window, token position)`` that decides its label."""
    best: dict[int, tuple[int, int, int]] = {}
    for w, win in enumerate(encoded.windows):
        positions = [t for t, c in enumerate(win.char_index) if c >= 0]
        if not positions:
            continue
        first, last = positions[0], positions[-1]
        for t in positions:
            margin = min(t - first, last - t)
            c = win.char_index[t]
            if c not in best or margin > best[c][2]:
                best[c] = (w, t, margin)
    return {c: (w, t) for c, (w, t, _) in best.items()}


def decode(char_tags: dict[int, str], scheme: Scheme = BIO) -> list[Span]:
    """Spans from per-character tags of the characters that have a token (model output: lenient).

    >>> decode({0: "B-LOC", 1: "I-LOC", 3: "I-LOC", 4: "O"})
    [Span(0, 4, 'LOC')]
    """
    kept = sorted(char_tags)
    spans = tags_to_spans([char_tags[c] for c in kept], scheme, strict=False)
    return [Span(kept[s.start], kept[s.end - 1] + 1, s.label) for s in spans]


def predict_spans(
    encoded: Encoded, window_scores: Sequence, tags: list[str], scheme: Scheme = BIO, crf=None
) -> list[tuple[Span, float]]:
    """Spans of one sentence, each with its score, from per-window token log-probabilities.

    ``window_scores[w][t]`` holds the log-probabilities of token ``t`` of window
    ``w``. Each character takes its scores from the window where it sits
    furthest from an edge; the scheme-valid tag sequence with the best total
    score is decoded (:func:`models.heads.viterbi`, with a CRF head's ``crf`` scores). A span's score is the mean
    probability of the chosen tags over its characters.
    """
    import numpy as np
    from zhner.models.heads import viterbi

    owners = owner_windows(encoded)
    if not owners:
        return []
    chars = sorted(owners)
    scores = np.stack([np.asarray(window_scores[owners[c][0]][owners[c][1]], dtype=np.float32) for c in chars])
    best = viterbi(scores, tags, scheme, crf)
    index = {t: k for k, t in enumerate(tags)}
    chosen = np.exp(scores[np.arange(len(chars)), [index[t] for t in best]])
    position = {c: k for k, c in enumerate(chars)}
    out = []
    for span in decode(dict(zip(chars, best)), scheme):
        ks = [position[c] for c in range(span.start, span.end) if c in position]
        out.append((span, float(chosen[ks].mean())))
    return out
