"""models.lacnet, the torch port of Baidu LAC 2.1.2's ``lac`` tagger, against real LAC's output.

``tests/fixtures/lac_outputs.json`` holds sentences written for this test (none from the corpus) with
real LAC's per-character labels and (word, tag) pairs; rewrite it with real LAC by
``.venv/bin/python tests/models/test_lacnet.py --regenerate``. The agreement test reads a fixed
sample of ``../shared/corpus/text`` at run time and runs real LAC beside the port when LAC's
environment is there (``$ZHNER_LAC_PYTHON``, by default ``.venv-lac/bin/python``).
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
import torch
from zhner.models import lacconvert
from zhner.models.lacnet import DEFAULT_DIR, LacModelMissing, LacTagger, load_lac

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests/fixtures/lac_outputs.json"
CORPUS = ROOT.parent / "shared/corpus/text"
HAS_LAC = Path(lacconvert.LAC_PYTHON).is_file()


@pytest.fixture(scope="module")
def tagger() -> LacTagger:
    torch.set_num_threads(1)
    return load_lac()


def cases() -> list[dict]:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))["cases"]


@pytest.mark.parametrize("batch_size", [1, 5, 32])
def test_fixed_sentences_match_real_lac(tagger: LacTagger, batch_size: int) -> None:
    texts = [c["text"] for c in cases()]
    assert len(texts) >= 30 and "" in texts
    tagger.batch_size = batch_size
    try:
        chars, pairs = tagger.char_tags(texts), tagger(texts)
    finally:
        tagger.batch_size = 32
    for case, got_chars, got_pairs in zip(cases(), chars, pairs, strict=True):
        assert got_chars == case["chars"], case["text"]
        assert got_pairs == [tuple(p) for p in case["words"]], case["text"]
        assert set(got_chars) <= set(tagger.labels)


def test_no_texts_and_empty_texts(tagger: LacTagger) -> None:
    assert tagger([]) == []
    assert tagger(["", "", "北京"]) == [[], [], [("北京", "LOC")]]  # LAC itself misorders this batch
    assert tagger([" "]) == [[(" ", "w")]]
    with pytest.raises(TypeError, match="list of texts"):
        tagger("北京")
    assert len(tagger.labels) == 50 and tagger.labels[-1] == "-I"  # 49 label ids, then an O word's other characters


@pytest.mark.parametrize("remove", [None, "model.safetensors"])
def test_missing_weights_give_one_clear_error(tmp_path: Path, remove: str | None) -> None:
    path = tmp_path / "lac"
    if remove:
        shutil.copytree(DEFAULT_DIR, path, ignore=shutil.ignore_patterns(remove))
    with pytest.raises(LacModelMissing) as e:
        load_lac(path)
    message = str(e.value)
    assert message.count("\n") == 0 and str(path) in message and "lacconvert.py --output" in message
    assert isinstance(e.value, FileNotFoundError)
    if remove:
        assert f"missing {remove}" in message


def test_lac_torch_tagger_gives_org_and_loc_spans() -> None:
    from zhner.annotate.schema import Span
    from zhner.models.taggers import get_tagger

    text = "宁德时代在福建宁德新建的电池工厂今年三月正式投产。"
    expected = {c["text"]: c["words"] for c in cases()}[text]
    tag = get_tagger("lac-torch")
    spans, pos = [], 0
    for word, flag in expected:
        if flag in ("ORG", "LOC"):
            spans.append(Span(pos, pos + len(word), flag))
        pos += len(word)
    assert spans and tag(text) == spans
    assert tag("") == [] and tag("  ") == []


@pytest.mark.skipif(not HAS_LAC, reason=f"real LAC's environment {lacconvert.LAC_PYTHON} is not there")
@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"the corpus {CORPUS} is not there")
def test_agrees_with_real_lac_on_1100_corpus_lines(tagger: LacTagger) -> None:
    texts = lacconvert.sample_corpus(CORPUS, per_file=100)
    assert len(texts) >= 1000
    reference = lacconvert.run_reference(texts)["results"]
    chars, pairs = tagger.char_tags(texts), tagger(texts)
    differ = [
        i for i, r in enumerate(reference) if chars[i] != r["chars"] or pairs[i] != [tuple(p) for p in r["words"]]
    ]
    assert not differ, f"{len(differ)} of {len(texts)} sample lines differ from real LAC (line numbers {differ[:20]})"


def regenerate() -> None:
    """Rewrite the fixture's LAC outputs with real LAC (its texts stay as they are)."""
    texts = [c["text"] for c in cases()]
    results = lacconvert.run_reference(texts)["results"]
    about = (
        "Sentences written for this test; chars and words are real LAC 2.1.2's output, LAC(mode='lac'), "
        "from `.venv/bin/python tests/models/test_lacnet.py --regenerate` (models/lacconvert.py --reference)"
    )
    lines = [json.dumps({"text": t, **r}, ensure_ascii=False) for t, r in zip(texts, results, strict=True)]
    FIXTURE.write_text(
        f'{{"about": {json.dumps(about)},\n"cases": [\n' + ",\n".join(lines) + "\n]}\n", encoding="utf-8"
    )


if __name__ == "__main__" and sys.argv[1:] == ["--regenerate"]:
    regenerate()
