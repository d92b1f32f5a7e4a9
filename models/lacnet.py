"""Baidu LAC 2.1.2's ``lac`` tagger re-implemented in torch: no paddle needed.

The weights are LAC's own, converted once by :mod:`zhner.models.lacconvert` (paddle names and
shapes) into ``models/bundled/lac``::

    tagger = load_lac()
    tagger(["百度是一家高科技公司"])   # [[('百度', 'ORG'), ('是', 'v'), ('一家', 'm'), ('高科技', 'n'), ('公司', 'n')]]

Preprocessing is LAC's reader: the text is cut by LAC's dictionary segmenter (``small_seg.dic``,
a DAG whose best path maximises the sum of ``log(len(word)) - log(total count)``, with runs of
single ASCII letters and digits joined); a piece that is a word of ``word.dic`` is one token, any
other piece one token per character. Each token goes through ``q2b.dic`` (full-width to half-width
and similar) and then ``word.dic``; unknown ones get the ``OOV`` id.

The network (``nets.py``'s ``lex_net``): a 128-d embedding, then two bidirectional GRU layers of 128
units, each direction its own ``fc`` pre-projection to ``3 x 128`` followed by paddle's ``gru`` op
(the reverse one runs from each sentence's end), their outputs concatenated; an ``fc`` to the 49
label scores; Viterbi decoding with ``crfw``. Paddle's GRU differs from ``torch.nn.GRU``: its input
columns are [update | reset | candidate]; its weight (stored as 128 x 384) is, in memory, a
``(H, 2H)`` matrix for the update and reset gates followed by a ``(H, H)`` matrix for the candidate;
the reset gate multiplies the previous state *before* the candidate matrix,
``c = tanh(x_c + (r * h) W_c)``; and ``h' = (1 - u) h + u c`` (``origin_mode=False``). ``crfw`` is
``(n + 2, n)``: row 0 start scores, row 1 end scores, rows 2.. the transitions ``from x to``; ties
go to the lowest label id, as in paddle's ``crf_decoding``. A word-level token's label is spread
over its characters as ``X-B, X-I, ...``; words are then cut at each ``-B`` label, as LAC does.
"""

from __future__ import annotations

import functools
import json
import math
import re
from pathlib import Path

import torch
from torch import nn

DEFAULT_DIR = Path(__file__).resolve().parent / "bundled" / "lac"
FILES = ("model.safetensors", "args.json", "word.dic", "tag.dic", "q2b.dic", "small_seg.dic")
ASCII_ALNUM = re.compile("[a-zA-Z0-9]", re.U)


class LacModelMissing(FileNotFoundError):
    """The converted LAC directory (or a file of it) is missing; the message says how to write it."""


def load_kv(path: Path, reverse: bool = False) -> dict[str, str]:
    """LAC's ``load_kv_dict``: tab-separated pairs, other lines skipped, a later key wins."""
    out = {}
    with open(path, encoding="utf8") as f:  # universal newlines, as LAC's io.open
        for line in f:
            terms = line.strip("\n").split("\t")
            if len(terms) == 2:
                key, value = terms[::-1] if reverse else terms
                out[key] = value
    return out


class Segmenter:
    """LAC's ``Segment.fast_cut`` over ``small_seg.dic``, the same arithmetic in the same order."""

    def __init__(self, path: Path) -> None:
        tree: dict[str, int | None] = {}
        total = 0
        with open(path, encoding="utf-8") as f:
            for line in f:
                word, count = line.strip().split(" ")
                tree[word] = len(word)  # LAC's trie stores the word's length, not its count
                for i in range(1, len(word)):
                    tree[word[:i]] = tree.get(word[:i])  # a prefix only: None
                total += int(count)
        self.tree, self.logtotal = tree, math.log(total)

    def cut(self, text: str) -> list[str]:
        tree, n = self.tree, len(text)
        dag = {i: [i] for i in range(n)}
        for head in range(n):
            end = head + 1
            word = text[head:end]
            while end <= n and word in tree:
                if tree[word]:
                    dag[head].append(end - 1)
                end += 1
                word = text[head:end]
        route = {n: (0.0, 0)}
        for i in range(n - 1, -1, -1):
            route[i] = max(
                (math.log(tree.get(text[i : j + 1]) or 1) - self.logtotal + route[j + 1][0], j) for j in dag[i]
            )
        pieces, buf, i = [], "", 0
        while i < n:
            end = route[i][1] + 1
            piece = text[i:end]
            if ASCII_ALNUM.match(piece) and len(piece) == 1:
                buf += piece
            else:
                if buf:
                    pieces.append(buf)
                    buf = ""
                pieces.append(piece)
            i = end
        return [*pieces, buf] if buf else pieces


class PaddleBiGRU(nn.Module):
    """One bidirectional layer: per direction paddle's ``fc`` (``x W + b``) then its ``gru`` op, both at once."""

    def __init__(self, p: dict[str, torch.Tensor], fwd: int, rev: int) -> None:
        super().__init__()

        def pair(name: str) -> torch.Tensor:  # the forward direction's tensor, then the reverse one's
            return torch.stack([p[name.format(fwd)], p[name.format(rev)]])

        self.hidden = h = p[f"gru_{fwd}.w_0"].shape[0]
        w = pair("gru_{}.w_0").reshape(2, -1)  # in memory: (H, 2H) update|reset, then (H, H) candidate
        self.register_buffer("in_w", pair("fc_{}.w_0"))
        self.register_buffer("in_b", pair("fc_{}.b_0")[:, None, None])
        self.register_buffer("gru_b", pair("gru_{}.b_0").reshape(2, 1, 1, -1))
        self.register_buffer("w_ur", w[:, : 2 * h * h].reshape(2, h, 2 * h).contiguous())
        self.register_buffer("w_c", w[:, 2 * h * h :].reshape(2, h, h).contiguous())

    def forward(self, x: torch.Tensor, rev: torch.Tensor) -> torch.Tensor:
        """Right-padded ``x`` (B, T, D) -> (B, T, 2H); ``rev`` reverses each sentence within its length."""
        (b, n, d), h = x.shape, self.hidden
        both = torch.stack([x, x.gather(1, rev[..., None].expand_as(x))])  # the reverse GRU reads reversed text
        gates = (torch.bmm(both.reshape(2, b * n, d), self.in_w).reshape(2, b, n, 3 * h) + self.in_b) + self.gru_b
        g_ur, g_c = gates[..., : 2 * h].transpose(1, 2).contiguous(), gates[..., 2 * h :].transpose(1, 2).contiguous()
        state = x.new_zeros(2, b, h)
        out = x.new_empty(2, n, b, h)
        for t in range(n):
            u, r = torch.sigmoid(torch.bmm(state, self.w_ur).add_(g_ur[:, t])).split(h, dim=-1)
            c = torch.tanh(torch.bmm(r * state, self.w_c).add_(g_c[:, t]))
            state = state - u * state + u * c
            out[:, t] = state
        out = out.transpose(1, 2)
        return torch.cat([out[0], out[1].gather(1, rev[..., None].expand_as(out[1]))], dim=-1)


class LacNet(nn.Module):
    """Embedding, stacked :class:`PaddleBiGRU` layers, emission scores; :meth:`decode` is the CRF Viterbi."""

    def __init__(self, p: dict[str, torch.Tensor], layers: int) -> None:
        super().__init__()
        self.register_buffer("embedding", p["word_emb"])
        self.bigru = nn.ModuleList(
            PaddleBiGRU(p, 2 * i, 2 * i + 1) for i in range(layers)
        )  # fc_k/gru_k, k odd: reverse
        self.register_buffer("out_w", p[f"fc_{2 * layers}.w_0"])
        self.register_buffer("out_b", p[f"fc_{2 * layers}.b_0"])
        crf = p["crfw"]
        self.register_buffer("start", crf[0])
        self.register_buffer("end", crf[1])
        self.register_buffer("trans", crf[2:])

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Emission scores (B, T, labels) of right-padded ``ids`` (B, T)."""
        t = torch.arange(ids.shape[1])
        last = lengths[:, None] - 1
        rev = torch.where(t <= last, last - t, t)
        x = self.embedding[ids]
        for layer in self.bigru:
            x = layer(x, rev)
        return x @ self.out_w + self.out_b

    def decode(self, emissions: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Viterbi paths (B, T) as paddle's ``crf_decoding``; positions past a sentence's length are junk."""
        b, n = emissions.shape[0], emissions.shape[1]
        alpha = self.start + emissions[:, 0]
        back = []
        for t in range(1, n):
            best, arg = (alpha[:, :, None] + self.trans).max(dim=1)  # over `from`; first maximum on ties
            alpha = torch.where((t < lengths)[:, None], best + emissions[:, t], alpha)
            back.append(arg)
        last = (alpha + self.end).argmax(dim=-1)
        path = torch.zeros(b, n, dtype=torch.long)
        cur = last
        for t in range(n - 1, -1, -1):
            cur = torch.where(lengths - 1 == t, last, cur)
            path[:, t] = cur
            if t:
                cur = back[t - 1].gather(1, cur[:, None]).squeeze(1)
        return path


class LacTagger:
    """LAC's ``lac`` mode: :meth:`char_tags` gives its raw labels, calling it gives (word, tag) pairs."""

    def __init__(self, net: LacNet, directory: Path, batch_size: int = 32) -> None:
        self.net, self.batch_size = net, batch_size
        self.word2id = {k: int(v) for k, v in load_kv(directory / "word.dic", reverse=True).items()}
        self.q2b = load_kv(directory / "q2b.dic")
        labels = load_kv(directory / "tag.dic")  # id -> label, the later line winning (16 is PER-B, not nr-B)
        self.id2label = [labels[str(i)] for i in range(len(net.start))]
        spread = [t[:-2] + "-I" for t in self.id2label]  # what a word-level token's label gives its other characters
        self.labels = tuple(dict.fromkeys([*self.id2label, *spread]))  # every char_tags label: ids' order, then -I
        self.oov = self.word2id["OOV"]
        self.segmenter = Segmenter(directory / "small_seg.dic")

    def encode(self, text: str) -> tuple[list[int], list[int]]:
        """LAC's ``text_to_ids`` after ``fast_cut``: token ids and how many characters each covers."""
        ids, widths = [], []
        w2i, q2b, oov = self.word2id, self.q2b, self.oov
        for piece in self.segmenter.cut(text):
            if piece in w2i:
                ids.append(w2i.get(q2b.get(piece, piece), oov))
                widths.append(len(piece))
            else:
                ids.extend(w2i.get(q2b.get(c, c), oov) for c in piece)
                widths.extend([1] * len(piece))
        return ids, widths

    def char_tags(self, texts: list[str]) -> list[list[str]]:
        """One LAC label per character (``ORG-B``, ``n-I``, ...); an empty text has none."""
        if isinstance(texts, str):
            raise TypeError("give a list of texts, not one str")
        encoded = [self.encode(t) if t else ([], []) for t in texts]
        order = sorted((i for i, (ids, _) in enumerate(encoded) if ids), key=lambda i: len(encoded[i][0]))
        out: list[list[str]] = [[] for _ in texts]
        with torch.inference_mode():
            for s in range(0, len(order), self.batch_size):
                batch = order[s : s + self.batch_size]
                sizes = [len(encoded[i][0]) for i in batch]
                ids = torch.zeros(len(batch), max(sizes), dtype=torch.long)
                for row, i in enumerate(batch):
                    ids[row, : sizes[row]] = torch.tensor(encoded[i][0])
                lengths = torch.tensor(sizes)
                paths = self.net.decode(self.net(ids, lengths), lengths).tolist()
                for row, i in enumerate(batch):
                    out[i] = self._spread(paths[row][: sizes[row]], encoded[i][1])
        return out

    def _spread(self, path: list[int], widths: list[int]) -> list[str]:
        """A word-level token's label ``X-B`` over its characters as ``X-B, X-I, ...`` (``O`` gives ``-I``)."""
        tags = []
        for label, width in zip((self.id2label[k] for k in path), widths, strict=True):
            tags.append(label)
            tags.extend([label[:-2] + "-I"] * (width - 1))
        return tags

    def __call__(self, texts: list[str]) -> list[list[tuple[str, str]]]:
        """(word, tag) pairs per text, as ``LAC(mode="lac").run(texts)`` zipped."""
        return [words(text, tags) for text, tags in zip(texts, self.char_tags(texts), strict=True)]


def words(text: str, tags: list[str]) -> list[tuple[str, str]]:
    """LAC's ``parse_result``: a word starts at a ``-B`` (or ``-S``) label and takes its last label's tag."""
    out: list[list[str]] = []
    for char, tag in zip(text, tags):
        if not out or tag.endswith("B") or tag.endswith("S"):
            out.append([char, tag[:-2]])
        else:
            out[-1][0] += char
            out[-1][1] = tag[:-2]
    return [(w, t) for w, t in out]


def load_lac(path: str | Path = DEFAULT_DIR, batch_size: int = 32) -> LacTagger:
    """The converted LAC model of ``path`` (default ``models/bundled/lac``) as a tagger."""
    from safetensors.torch import load_file

    path = Path(path)
    missing = [name for name in FILES if not (path / name).is_file()]
    if missing:
        raise LacModelMissing(
            f"{path}: no converted LAC model there (missing {', '.join(missing)}); write it in LAC's environment "
            f"with: python models/lacconvert.py --output {path}"
        )
    args = json.loads((path / "args.json").read_text())
    net = LacNet(load_file(path / "model.safetensors"), layers=args["bigru_num"]).eval()
    return LacTagger(net, path, batch_size)


@functools.cache
def default_lac() -> LacTagger:
    """:func:`load_lac` of ``models/bundled/lac``, loaded once per process (33 MB) and shared."""
    return load_lac()
