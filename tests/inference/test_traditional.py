"""Traditional Chinese input: inference.traditional and Extractor(traditional=...)."""

from __future__ import annotations

import itertools

import opencc
import pytest
from zhner.annotate.schema import Span
from zhner.inference import Extractor
from zhner.inference import traditional as trad
from zhner.inference.traditional import Converter, TraditionalError

T2S = opencc.OpenCC("t2s").convert
TRADITIONAL = "臺灣積體電路製造公司營收成長12%"
SIMPLIFIED = "台湾积体电路制造公司营收成长12%"
MIXED = "浙江新增4个国家先进制造业集群。臺灣積體電路製造公司營收成長12%,海康威视营收增长22.1%。"
EMOJI = "😀臺灣１２３億元🏭增長２２％\u3000營業收入😀"


def test_pure_traditional_sentence_is_converted_in_place() -> None:
    aligned = Converter("auto")(TRADITIONAL)
    assert aligned.text == SIMPLIFIED
    assert aligned.original == TRADITIONAL and aligned.source is None
    assert aligned.back(Span(0, 10, "ORG")) == Span(0, 10, "ORG")


def test_mixed_text_converts_only_the_traditional_sentences() -> None:
    aligned = Converter("auto")(MIXED)
    first, second, third = MIXED.split("。")[0], MIXED.split("。")[1].split(",")[0], "海康威视营收增长22.1%"
    assert aligned.text.startswith(first + "。")
    assert T2S(second) in aligned.text and second not in aligned.text
    assert aligned.text.endswith(third + "。")
    assert len(aligned.text) == len(MIXED)


def test_simplified_sentences_are_left_alone_by_auto_but_not_by_always() -> None:
    text = "一坏再坏的局面"  # simplified, yet t2s rewrites the phrase 一坏 → 一坯
    assert T2S(text) != text
    assert Converter("auto")(text).text == text
    assert Converter("always")(text).text == T2S(text)
    assert Converter("never")(TRADITIONAL).text == TRADITIONAL


def test_auto_leaves_the_simplified_gold_as_it_is(root) -> None:
    from zhner.annotate import read_gold

    convert = Converter("auto")
    texts = [r.text for r in read_gold(root / "data/gold/article.jsonl")]
    texts.append((root / "data/raw/article.txt").read_text(encoding="utf-8"))
    assert all(convert(t) == trad.Aligned(t, t) for t in texts)


def test_emoji_and_full_width_digits_next_to_traditional_characters_keep_their_offsets() -> None:
    aligned = Converter("auto")(EMOJI)
    assert aligned.text == "😀台湾１２３亿元🏭增长２２％\u3000营业收入😀"
    assert len(aligned.text) == len(EMOJI) and aligned.source is None
    assert [aligned.text[i] == EMOJI[i] for i in (0, 3, 4, 5, 8, 13)] == [True] * 6


def test_a_lone_surrogate_is_left_as_it_is_and_the_rest_converted() -> None:
    text = "臺灣\ud800積體"
    aligned = Converter("auto")(text)
    assert aligned.text == "台湾\ud800积体" and aligned.source is None


def test_opencc_keeps_every_characters_length() -> None:
    """t2s maps each CJK character (basic block, extension A, compatibility ideographs) to one character,
    so the per-character path never shifts an offset; every phrase of the tests keeps its length too."""
    blocks = itertools.chain(range(0x4E00, 0xA000), range(0x3400, 0x4DC0), range(0xF900, 0xFB00))
    chars = "".join(map(chr, blocks))
    assert len(T2S(chars)) == len(chars)
    assert all(len(T2S(c)) == 1 for c in chars[::97])
    for text in (TRADITIONAL, MIXED, EMOJI, "乾隆年間於是後來著名的髮型"):
        assert len(T2S(text)) == len(text)


def test_a_length_changing_conversion_is_aligned_character_by_character() -> None:
    """A conversion that changes a sentence's length (none of OpenCC's does) falls back to one character
    at a time; every converted character points back to the character it came from."""

    def widening(text: str) -> str:
        return text.replace("臺", "台湾").replace("億", "亿")

    text = "浙江。臺灣積體營收12億元。"
    aligned = Converter("always", convert=widening)(text)
    assert aligned.text == "浙江。台湾灣積體營收12亿元。"
    assert aligned.source is not None and len(aligned.source) == len(aligned.text)
    assert aligned.back(Span(3, 5, "LOC")) == Span(3, 4, "LOC")  # 台湾 ← 臺
    assert aligned.back(Span(4, 5, "LOC")) == Span(3, 4, "LOC")  # 湾 ← 臺
    assert aligned.back(Span(3, 8, "ORG")) == Span(3, 7, "ORG")  # 台湾灣積體 ← 臺灣積體
    assert aligned.back(Span(10, 14, "METRIC")).text_in(text) == "12億元"
    assert aligned.back(Span(0, 2, "LOC")) == Span(0, 2, "LOC")  # before the converted sentence


def test_length_changing_conversion_through_the_extractor_keeps_entities_on_the_original(tiny_model) -> None:
    ex = Extractor.load(tiny_model, traditional="never")
    ex.meta.rules = "override"
    ex.traditional = Converter("always", convert=lambda t: t.replace("臺", "台湾").replace("億", "亿"))
    text = "臺灣積體營收12億元,增長53%。臺灣"
    ents = ex(text)
    assert ("12億元", "METRIC") in {(e.text, e.label) for e in ents}
    assert all(text[e.start : e.end] == e.text for e in ents)
    assert all(a.end <= b.start for a, b in itertools.pairwise(ents))


def test_without_opencc_auto_is_never_and_always_names_the_pip_command(monkeypatch) -> None:
    monkeypatch.setattr(trad, "opencc_t2s", lambda: None)
    assert Converter("auto")(TRADITIONAL).text == TRADITIONAL
    with pytest.raises(TraditionalError, match=r"pip install opencc==1\.4\.2"):
        Converter("always")
    with pytest.raises(ValueError, match="unknown traditional mode"):
        Converter("sometimes")


# --- through the Extractor --------------------------------------------------------------------


@pytest.fixture(scope="module")
def extractors(tiny_model) -> dict[str, Extractor]:
    out = {mode: Extractor.load(tiny_model, traditional=mode) for mode in ("auto", "never")}
    for ex in out.values():
        ex.meta.rules = "override"  # the METRIC rules read 億, 萬 and 成長 only once converted
    return out


@pytest.mark.parametrize("text", [TRADITIONAL, MIXED, EMOJI, "臺灣積體電路" * 200])
def test_entities_are_slices_of_the_original_input(extractors, text: str) -> None:
    ents = extractors["auto"](text)
    assert ents
    assert all(text[e.start : e.end] == e.text for e in ents)
    assert all(a.end <= b.start for a, b in itertools.pairwise(ents))


def test_traditional_input_gets_the_entities_of_its_simplified_form(extractors) -> None:
    for text in (TRADITIONAL, MIXED, EMOJI):
        converted = Converter("auto")(text).text
        ents, simplified = extractors["auto"](text), extractors["auto"](converted)
        assert [e.span for e in ents] == [e.span for e in simplified]
        assert [e.text for e in ents] == [text[e.start : e.end] for e in simplified]


def test_the_rules_find_traditional_figures_only_when_converted(extractors) -> None:
    text = "臺灣積體電路製造公司營收達3.9萬億元,佔全省53%。"
    found = {e.text for e in extractors["auto"](text) if e.label == "METRIC"}
    assert "3.9萬億元" in found and "53%" in found
    assert "3.9萬億元" not in {e.text for e in extractors["never"](text) if e.label == "METRIC"}


def test_a_simplified_user_name_is_found_in_traditional_text(tiny_model, tmp_path) -> None:
    names = tmp_path / "names.tsv"
    names.write_text("台湾积体电路制造公司\tORG\n", encoding="utf-8")
    ex = Extractor.load(tiny_model, lexicon=names, lexicon_mode="first")
    assert (0, 10, "ORG", "臺灣積體電路製造公司") in [(e.start, e.end, e.label, e.text) for e in ex(TRADITIONAL)]
    never = Extractor.load(tiny_model, lexicon=names, lexicon_mode="first", traditional="never")
    assert "臺灣積體電路製造公司" not in {e.text for e in never(TRADITIONAL)}


def test_predict_cli_traditional_always_without_opencc_is_one_line(tiny_model, monkeypatch, capsys) -> None:
    from zhner.inference.cli import main

    monkeypatch.setattr(trad, "opencc_t2s", lambda: None)
    assert main(["--model", str(tiny_model), "-q", "--traditional", "always"]) == 1
    assert capsys.readouterr().err == (
        "error: traditional='always' needs OpenCC, which is not installed: pip install opencc==1.4.2\n"
    )


def test_predict_cli_converts_traditional_stdin(tiny_model, root) -> None:
    """zhner predict on Traditional lines gives the entities of their Simplified form, on the original text."""
    import json
    import subprocess
    import sys

    def predict(lines: list[str]) -> list[dict]:
        run = [sys.executable, "-m", "zhner.inference", "--model", str(tiny_model), "-q"]
        proc = subprocess.run(run, input="\n".join(lines) + "\n", capture_output=True, text=True, cwd=root)
        assert proc.returncode == 0, proc.stderr
        return [json.loads(x) for x in proc.stdout.splitlines()]

    texts = [TRADITIONAL, MIXED]
    rows = predict([*texts, *(Converter("auto")(t).text for t in texts)])
    assert [r["text"] for r in rows[:2]] == texts
    assert [r["entities"] for r in rows[:2]] == [r["entities"] for r in rows[2:]]
