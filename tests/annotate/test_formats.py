from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from zhner.annotate import GoldError, Record, Span
from zhner.annotate.formats import FORMATS, convert, read, write

ALPHABET = [*list("浙江省经信厅海康威视12.5%亿元 ab\u3000１２３ＡＢ😀🏭數據\t\n\r\\#U+，。“”()"), "\x00", "\u2028"]


@st.composite
def records(draw) -> list[Record]:
    out = []
    for i in range(draw(st.integers(1, 4))):
        text = draw(st.text(alphabet=st.sampled_from(ALPHABET), max_size=40))
        cuts = sorted(draw(st.sets(st.integers(0, len(text)), max_size=8)))
        spans = []
        for a, b in zip(cuts[::2], cuts[1::2]):
            if a < b and not text[a].isspace() and not text[b - 1].isspace():
                spans.append(Span(a, b, draw(st.sampled_from(["ORG", "LOC", "METRIC", "HONOR"]))))
        meta = draw(st.sampled_from([{}, {"doc_start": 5}, {"source": "authored", "note": "x\ty"}]))
        out.append(Record(f"s{i}", text, spans, meta))
    return out


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(recs=records())
def test_formats_round_trip_is_lossless(tmp_path, fmt: str, recs: list[Record]) -> None:
    path = tmp_path / f"out.{fmt}"
    write(path, recs, fmt)
    assert read(path, fmt) == recs


@pytest.mark.parametrize("fmt", ["bio", "bioes"])
def test_formats_conll_layout(tmp_path, fmt: str) -> None:
    path = tmp_path / "a.conll"
    write(path, [Record("a", "在杭州", [Span(1, 3, "LOC")])], fmt)
    last = "E-LOC" if fmt == "bioes" else "I-LOC"
    assert path.read_text(encoding="utf-8") == f'# zhner = {{"id": "a"}}\n在\tO\n杭\tB-LOC\n州\t{last}\n\n'


def test_formats_bio_reports_line_of_bad_tag(tmp_path) -> None:
    path = tmp_path / "bad.bio"
    path.write_text('# zhner = {"id": "a"}\n在\tO\n杭\tI-LOC\n', encoding="utf-8")
    with pytest.raises(GoldError) as err:
        read(path, "bio")
    assert str(err.value) == f"{path}:3: tag 'I-LOC' at position 1 cannot follow 'O' (bio)"


def test_formats_bio_rejects_unknown_label(tmp_path) -> None:
    path = tmp_path / "bad.bio"
    path.write_text("张\tB-PER\n三\tI-PER\n", encoding="utf-8")
    with pytest.raises(GoldError, match="unknown label 'PER'"):
        read(path, "bio")


def test_formats_label_studio_refuses_offsets_that_do_not_match_text(tmp_path) -> None:
    task = {
        "data": {"text": "😀在杭州"},
        "annotations": [
            {"result": [{"type": "labels", "value": {"start": 3, "end": 5, "text": "杭州", "labels": ["LOC"]}}]}
        ],
    }
    path = tmp_path / "ls.json"
    path.write_text(json.dumps([task], ensure_ascii=False), encoding="utf-8")
    with pytest.raises(GoldError, match=r"says '杭州' but offsets \[3, 5\) hold '州'"):
        read(path, "label-studio")


def test_formats_label_studio_takes_predictions_when_not_annotated(tmp_path) -> None:
    task = {
        "data": {"text": "在杭州", "id": "t1"},
        "predictions": [{"result": [{"type": "labels", "value": {"start": 1, "end": 3, "labels": ["LOC"]}}]}],
    }
    path = tmp_path / "ls.json"
    path.write_text(json.dumps([task], ensure_ascii=False), encoding="utf-8")
    assert read(path, "label-studio") == [Record("t1", "在杭州", [Span(1, 3, "LOC")])]


def test_formats_unknown_name_lists_choices(tmp_path) -> None:
    with pytest.raises(
        ValueError, match="unknown format 'xml'; choose one of: bio, bioes, doccano, gold, label-studio"
    ):
        convert(tmp_path / "a", tmp_path / "b", src_format="xml")


def test_formats_article_round_trips_through_every_format(root, tmp_path) -> None:
    gold = root / "data/gold/article.jsonl"
    for fmt in FORMATS:
        convert(gold, tmp_path / f"a.{fmt}", dst_format=fmt)
        convert(tmp_path / f"a.{fmt}", tmp_path / f"back.{fmt}.jsonl", src_format=fmt)
        assert (tmp_path / f"back.{fmt}.jsonl").read_bytes() == gold.read_bytes()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("杭 B-LOC\n州 I-LOC\n\n海 B-ORG\n", [("杭州", ["B-LOC", "I-LOC"]), ("海", ["B-ORG"])]),
        (" O\n中 B-ORG\n", [(" 中", ["O", "B-ORG"])]),  # an empty character field is a space
        ("中 PER\n华 X-Y\n", [("中华", ["O", "X-Y"])]),  # neither O nor X-LABEL: O
        ("中 O\n \t\n华 O\n\n\n", [("中", ["O"]), ("华", ["O"])]),  # a white-space line ends a sentence
    ],
)
def test_formats_read_char_tags_is_lenient(tmp_path, content: str, expected: list) -> None:
    from zhner.annotate.formats import read_char_tags

    path = tmp_path / "c.bio"
    path.write_text(content, encoding="utf-8")
    assert list(read_char_tags(path)) == expected
