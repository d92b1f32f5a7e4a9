"""The two-line API::

    from zhner.inference import Extractor
    ex = Extractor.load("runs/default")
    ex("浙江新增4个国家先进制造业集群")      # -> [Entity(2, 4, 'LOC', '浙江', 0.98), ...]

Offsets are character offsets into the text you passed (end exclusive), for
any length of text: documents are split into sentences (nothing dropped),
sentences longer than the model's window become overlapping windows, and all
windows of a batch of texts are sorted by length and run together.

Options of :meth:`Extractor.load`:

- ``lexicon="names.tsv"``, ``lexicon_mode="fill"|"first"``: a dictionary of
  your own names (``name<TAB>label`` lines, :func:`models.lexicon.read_user`),
  applied after the model's own lexicon: ``fill`` adds a name where the model
  found nothing, ``first`` lets your names win;
- ``traditional="auto"|"always"|"never"``: Traditional Chinese is converted to
  Simplified for the model (:mod:`inference.traditional`), entities come back
  on the original text;
- ``postprocess=False``: the network alone, without the word edges, the model's
  lexicon, your dictionary or the HONOR and METRIC rules (what evaluation scores
  as "model").
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from zhner.annotate.schema import Span
from zhner.annotate.split import sentence_offsets
from zhner.inference.traditional import Aligned, Converter
from zhner.models import modeldir
from zhner.models.base import use_bf16
from zhner.models.charfeats import char_features
from zhner.models.features import Encoded, Window, encode_batch, predict_spans
from zhner.models.heads import crf_scores
from zhner.models.lacnet import default_lac
from zhner.models.lexicon import USER_MODES, match_both, read_user
from zhner.models.modeldir import BATCH_SIZE
from zhner.models.postprocess import postprocess as postprocess_spans
from zhner.models.taggers import lac_words
from zhner.models.words import require_segmenter


@dataclass(frozen=True)
class Entity:
    """One extracted mention: ``text == document[start:end]``."""

    start: int
    end: int
    label: str
    text: str
    score: float

    def __repr__(self) -> str:
        return f"Entity({self.start}, {self.end}, {self.label!r}, {self.text!r}, {self.score:.2f})"

    @property
    def span(self) -> Span:
        return Span(self.start, self.end, self.label)

    def to_dict(self) -> dict:
        return {"start": self.start, "end": self.end, "label": self.label, "text": self.text, "score": self.score}


class DeviceError(ValueError):
    """A device that torch does not know or this machine does not have; the message says which."""


def resolve_device(name: str) -> torch.device:
    """``auto`` (CUDA when there is one, else the CPU) or a torch device name that this machine has."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise DeviceError(f"unknown device {name!r}; use auto, cpu, cuda or cuda:N") from None
    if device.type == "cuda" and (device.index or 0) >= torch.cuda.device_count():
        raise DeviceError(
            f"device {name!r} is not available here: torch {torch.__version__} sees "
            f"{torch.cuda.device_count()} CUDA device(s); use cpu or auto"
        )
    return device


class Extractor:
    """A loaded model that extracts entities from text. Build it with :meth:`load`."""

    def __init__(
        self,
        model,
        tokenizer,
        meta: modeldir.ModelMeta,
        *,
        device: str = "auto",
        bf16: str = "auto",
        traditional: str = "auto",
    ):
        self.device = resolve_device(device)
        self.model = model.to(self.device).eval()
        self.tokenizer = tokenizer
        self.meta = meta
        self.tags = [model.config.id2label[i] for i in range(len(model.config.id2label))]
        self.crf = crf_scores(model)  # learned transition scores of a CRF head, else None
        self.lexicon: dict[str, str] = {}  # training mentions, used when meta.lexicon is not "none"
        self.user_lexicon: dict[str, str] = {}  # the user's names, applied by user_lexicon_mode
        self.user_lexicon_mode = "fill"
        self.postprocess = True  # False: the network alone (no lexicon, user names or rules)
        self.traditional = Converter(traditional)
        self.features = char_features(meta.char_features)  # knowledge fed as token types (models.charfeats)
        # "auto": CUDA, or a CPU with native bf16 (models.base.BF16_AUTO); a Python bool is taken as it is
        self.bf16 = bf16 if isinstance(bf16, bool) else use_bf16(bf16, "inference", self.device)

    @classmethod
    def load(
        cls,
        path: str | Path | None = None,
        *,
        device: str = "auto",
        bf16: str = "auto",
        lexicon: str | Path | None = None,
        lexicon_mode: str = "fill",
        traditional: str = "auto",
        postprocess: bool = True,
    ) -> Extractor:
        """Load a model directory written by ``zhner train``; with no path, the shipped model.

        Raises ModelDirError with a one-line reason. The shipped model (``zhner.models.modeldir.SHIPPED``,
        package data) is the default trained and measured for the release: its card is its README.md.

        A bad ``lexicon`` file raises LexiconError (``file:line: reason``), before the model is loaded; a model
        whose ``word_edges`` is not none raises SegmenterUnavailable without jieba.
        """
        if lexicon_mode not in USER_MODES:
            raise ValueError(f"unknown lexicon mode {lexicon_mode!r}; choose one of: {', '.join(USER_MODES)}")
        user = read_user(lexicon) if lexicon is not None else {}
        path = modeldir.SHIPPED if path is None else modeldir.packaged(path)
        model, tokenizer, meta = modeldir.load(path)
        extractor = cls(model, tokenizer, meta, device=device, bf16=bf16, traditional=traditional)
        extractor.lexicon = modeldir.read_lexicon(path)
        extractor.user_lexicon, extractor.user_lexicon_mode = user, lexicon_mode
        extractor.postprocess = postprocess
        if postprocess and meta.word_edges != "none":
            require_segmenter()  # SegmenterUnavailable now, naming the install, rather than at the first fragment
        if postprocess and meta.lac_spans != "none":
            default_lac()  # LacModelMissing now (weights not installed), rather than at the first text
        return extractor

    def __call__(self, text: str) -> list[Entity]:
        return self.extract_many([text])[0]

    def extract_many(self, texts: Sequence[str], batch_size: int = BATCH_SIZE) -> list[list[Entity]]:
        """Entities of each text, in input order. Empty or whitespace-only texts give []."""
        if isinstance(texts, str):
            raise TypeError("extract_many takes a list of texts; call the extractor itself for one text")
        aligned = [self.traditional(text) for text in texts]
        found, lac = self._network(aligned, batch_size)
        return [self._entities(a, spans, words) for a, spans, words in zip(aligned, found, lac)]

    def _network(self, aligned: Sequence[Aligned], batch_size: int) -> tuple[list[dict[Span, float]], list[list[Span]]]:
        """The network's spans (span → score) of each converted text, and LAC's words in it when the model
        uses them (``model.lac_spans``; LAC tags each sentence once for those and the char features)."""
        pieces: list[tuple[int, int, str]] = []  # (text index, sentence start, sentence)
        for i, text in enumerate(item.text for item in aligned):
            for a, b in sentence_offsets(text):
                pieces.append((i, a, text[a:b]))
        sentences = [p[2] for p in pieces]
        words = self.postprocess and self.meta.lac_spans != "none"
        lac = default_lac().char_tags(sentences) if words or (self.features and self.features.uses_lac) else None
        encoded = encode_batch(
            self.tokenizer,
            sentences,
            max_length=self.meta.max_length,
            stride=self.meta.stride,
            char_ids=self.features(sentences, lac_tags=lac) if self.features is not None else None,
        )
        scores = self._score_windows([w for e in encoded for w in e.windows], batch_size)
        found: list[dict[Span, float]] = [{} for _ in aligned]
        k = 0
        for (i, offset, _sentence), enc in zip(pieces, encoded):
            window_scores = scores[k : k + len(enc.windows)]
            k += len(enc.windows)
            for span, score in self._spans(enc, window_scores):
                found[i][span.shifted(offset)] = round(score, 4)
        # the same sentences in the same order: lac_words takes their tags as they are
        lac_found = lac_words([a.text for a in aligned], lac) if words else [[] for _ in aligned]
        return found, lac_found

    def _entities(self, aligned: Aligned, spans: dict[Span, float], lac: Sequence[Span] = ()) -> list[Entity]:
        """The post-processed spans of a converted text (``lac``: LAC's words in it) as entities of the original."""
        if self.postprocess:
            spans = self._postprocessed(aligned.text, spans, lac)
        text = aligned.original
        entities: list[Entity] = []
        for span in sorted(spans):
            s = aligned.back(span)
            if not entities or entities[-1].end <= s.start:  # two pieces of one converted character: the first
                entities.append(Entity(s.start, s.end, s.label, text[s.start : s.end], spans[span]))
        return entities

    def _postprocessed(self, text: str, spans: dict[Span, float], lac: Sequence[Span] = ()) -> dict[Span, float]:
        """Word edges, the model's lexicon, LAC's words, the user's names and the HONOR and METRIC rules applied
        to the network's spans."""
        lexicon = self.lexicon if self.meta.lexicon != "none" else {}
        known, user = match_both(text, lexicon, self.user_lexicon) if lexicon or self.user_lexicon else ([], [])
        return postprocess_spans(
            text,
            spans,
            known,
            self.meta.lexicon,
            self.meta.rules,
            user_spans=user,
            user_mode=self.user_lexicon_mode,
            honor_mode=self.meta.honor_rules,
            word_mode=self.meta.word_edges,
            lac_spans=lac,
            lac_mode=self.meta.lac_spans,
        )

    def stream(self, texts: Iterable[str], batch_size: int = BATCH_SIZE, chunk: int = 256) -> Iterator[list[Entity]]:
        """Entities of each text of an iterable, in order, ``chunk`` texts at a time (bounded memory)."""
        buffer: list[str] = []
        for text in texts:
            buffer.append(text)
            if len(buffer) >= chunk:
                yield from self.extract_many(buffer, batch_size)
                buffer = []
        if buffer:
            yield from self.extract_many(buffer, batch_size)

    def _spans(self, enc: Encoded, window_scores: list[np.ndarray]) -> list[tuple[Span, float]]:
        return predict_spans(enc, window_scores, self.tags, self.meta.tagging, self.crf)

    @torch.inference_mode()
    def _score_windows(self, windows: list[Window], batch_size: int) -> list[np.ndarray]:
        """Log-probabilities [len(window), n_tags] of each window; batches sorted by length."""
        order = sorted(range(len(windows)), key=lambda i: -len(windows[i].input_ids))
        out: list[np.ndarray | None] = [None] * len(windows)
        pad = self.tokenizer.pad_token_id or 0
        for b in range(0, len(order), batch_size):
            idx = order[b : b + batch_size]
            width = len(windows[idx[0]].input_ids)
            ids = torch.full((len(idx), width), pad, dtype=torch.long)
            mask = torch.zeros((len(idx), width), dtype=torch.long)
            types = torch.zeros((len(idx), width), dtype=torch.long)
            for row, i in enumerate(idx):
                w = windows[i]
                ids[row, : len(w.input_ids)] = torch.tensor(w.input_ids)
                mask[row, : len(w.input_ids)] = 1
                if w.token_types is not None:
                    types[row, : len(w.token_types)] = torch.tensor(w.token_types)
            inputs = {"input_ids": ids, "attention_mask": mask}
            if self.features is not None:
                inputs["token_type_ids"] = types
            with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.bf16):
                logits = self.model(**{k: v.to(self.device) for k, v in inputs.items()}).logits
            logp = torch.log_softmax(logits.float(), dim=-1).cpu().numpy()
            for row, i in enumerate(idx):
                out[i] = logp[row, : len(windows[i].input_ids)]
        return out  # type: ignore[return-value]
