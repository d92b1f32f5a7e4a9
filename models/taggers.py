"""Off-the-shelf offline taggers that ship their own model through pip, as ORG/LOC span finders.

They label silver data (``zhner train silver``) and serve as baselines in the
evaluation reports. Each entry of :data:`TAGGERS` builds a function from a
text to its ORG/LOC spans; a tagger whose package is missing raises
:class:`TaggerUnavailable` with the one command that installs it.

- ``jieba``: jieba's part-of-speech tags ``ns`` → LOC, ``nt`` → ORG
  (``pip install jieba``). Weak: its dictionary knows few organisations.
- ``lac``: Baidu's LAC in ``lac`` mode, ``ORG`` → ORG, ``LOC`` → LOC
  (``PER`` and ``TIME`` have no project label). It needs paddlepaddle, which
  is never a dependency of training or inference: ``pip install
  "paddlepaddle==2.6.2" "numpy<2" wheel setuptools && pip install
  --no-build-isolation lac`` in the environment that builds silver data.
  LAC 2.1.2 still imports ``paddle.fluid``, which paddle 2.6 renamed
  ``paddle.base``; the alias is set here before LAC is imported.
- ``lac-torch``: the same LAC network and weights re-implemented in torch
  (:mod:`zhner.models.lacnet`, the converted weights in ``models/bundled/lac``), the
  same labels mapped the same way, without paddle; it gave LAC's own tags on
  every one of 1,100 corpus lines (``tests/models/test_lacnet.py``).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable
from typing import TextIO

from zhner.annotate.schema import Span

Tagger = Callable[[str], list[Span]]


class TaggerUnavailable(RuntimeError):
    """The tagger's package is not installed; the message says how to install it."""


def _spans(text: str, words: list[tuple[str, str]], tags: dict[str, str]) -> list[Span]:
    """Spans of the tagged words, located in ``text`` in order (a tagger may drop or alter whitespace)."""
    spans, pos = [], 0
    for word, flag in words:
        at = text.find(word, pos) if word else -1
        if at < 0:
            continue
        pos = at + len(word)
        if flag in tags and word.strip() and word == word.strip():
            spans.append(Span(at, pos, tags[flag]))
    return spans


def jieba_tagger() -> Tagger:
    try:
        import jieba
        import jieba.posseg as pseg
    except ImportError as e:
        raise TaggerUnavailable("the jieba tagger needs jieba: pip install jieba") from e
    import logging

    jieba.setLogLevel(logging.WARNING)
    tags = {"ns": "LOC", "nt": "ORG"}
    return lambda text: _spans(text, [(w, f) for w, f in pseg.cut(text)], tags)


LAC_TAGS = {"ORG": "ORG", "LOC": "LOC"}  # LAC's labels that are project labels (PER and TIME are not)
LAC_MODES = ("none", "fill", "first")  # model.lac_spans


def lac_tagger() -> Tagger:
    try:
        import paddle
        import paddle.base

        sys.modules.setdefault("paddle.fluid", paddle.base)  # LAC 2.1.2 predates the rename
        sys.modules.setdefault("paddle.fluid.core", paddle.base.core)
        from LAC import LAC
    except ImportError as e:
        raise TaggerUnavailable(
            'the lac tagger needs LAC and paddlepaddle: pip install "paddlepaddle==2.6.2" "numpy<2" wheel setuptools '
            "&& pip install --no-build-isolation lac"
        ) from e
    lac = LAC(mode="lac")

    def tag(text: str) -> list[Span]:
        if not text.strip():
            return []
        words, flags = lac.run(text)
        return _spans(text, list(zip(words, flags)), LAC_TAGS)

    return tag


def lac_spans(texts: list[str], lac_tags: list[list[str]] | None = None) -> list[list[Span]]:
    """LAC's ORG/LOC words in each text (``model.lac_spans``), from its torch port (``lac_tags``: its
    ``char_tags`` of ``texts``, when the caller has them already)."""
    from zhner.models.lacnet import default_lac, words

    tags = lac_tags if lac_tags is not None else default_lac().char_tags(texts)
    return [_spans(text, words(text, t), LAC_TAGS) if text.strip() else [] for text, t in zip(texts, tags)]


def lac_words(texts: list[str], tags: list[list[str]] | None = None) -> list[list[Span]]:
    """:func:`lac_spans` sentence by sentence (``annotate.split.sentence_offsets``), as the network reads a text;
    ``tags``: LAC's ``char_tags`` of those sentences, in order, when the caller has them already."""
    from zhner.annotate.split import sentence_offsets

    pieces = [(i, a, text[a:b]) for i, text in enumerate(texts) for a, b in sentence_offsets(text)]
    out: list[list[Span]] = [[] for _ in texts]
    for (i, offset, _), spans in zip(pieces, lac_spans([p[2] for p in pieces], tags)):
        out[i].extend(s.shifted(offset) for s in spans)
    return out


def lac_torch_tagger() -> Tagger:
    from zhner.models.lacnet import LacModelMissing, default_lac

    try:
        default_lac()  # the one shared instance :func:`lac_spans` uses
    except LacModelMissing as e:
        raise TaggerUnavailable(str(e)) from e
    return lambda text: lac_spans([text])[0]


TAGGERS: dict[str, Callable[[], Tagger]] = {"jieba": jieba_tagger, "lac": lac_tagger, "lac-torch": lac_torch_tagger}


def get_tagger(name: str) -> Tagger:
    if name not in TAGGERS:
        raise ValueError(f"tagger {name!r}: choose one of {', '.join(sorted(TAGGERS))}")
    return TAGGERS[name]()


def serve(name: str, lines: Iterable[str], out: TextIO) -> None:
    """One JSON line of spans ``[[start, end, label], ...]`` for each JSON-string line of text, flushed each time."""
    tagger = get_tagger(name)
    for line in lines:
        spans = tagger(json.loads(line))
        out.write(json.dumps([s.to_list() for s in spans]) + "\n")
        out.flush()


class ExternalTagger:
    """A tagger run by another Python (its own environment: LAC needs paddlepaddle and numpy<2).

    ``python`` is that environment's interpreter. It sees only ``zhner.models`` and ``zhner.annotate``, through
    a temporary folder that links them (a source tree keeps them as top-level folders, a wheel under
    ``zhner/``; the other environment has neither installed), and imports only this module and
    :mod:`zhner.annotate.schema` there (no torch). Texts go one JSON line at a time; the process ends with this
    one (its standard input closes).
    """

    def __init__(self, name: str, python: str) -> None:
        import os
        import subprocess
        import tempfile
        from pathlib import Path

        if not Path(python).is_file():
            raise TaggerUnavailable(f"{python}: no such Python interpreter (the environment for the {name} tagger)")
        self._links = tempfile.TemporaryDirectory(prefix="zhner-tagger-")
        package = Path(self._links.name) / "zhner"
        package.mkdir()
        (package / "__init__.py").write_text("")
        for stage in ("models", "annotate"):
            (package / stage).symlink_to(Path(__file__).resolve().parent.parent / stage, target_is_directory=True)
        if not (package / "annotate").is_dir():  # installed from a wheel: models/ and annotate/ sit side by side
            raise TaggerUnavailable(f"{package / 'annotate'}: the annotate package was not found beside models/")
        root = self._links.name
        env = {**os.environ, "PYTHONPATH": root + os.pathsep + os.environ.get("PYTHONPATH", "")}
        self.proc = subprocess.Popen(
            [python, "-m", "zhner.models.taggers", name],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            env=env,
            cwd=root,
        )

    def __call__(self, text: str) -> list[Span]:
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(json.dumps(text) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise TaggerUnavailable(f"the external tagger stopped (exit status {self.proc.poll()}); see its stderr")
        return [Span.from_list(s) for s in json.loads(line)]


if __name__ == "__main__":  # python -m zhner.models.taggers lac  (JSON-string lines in, span lists out)
    serve(sys.argv[1], sys.stdin, sys.stdout)
