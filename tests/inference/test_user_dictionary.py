"""A user's dictionary (Extractor.load(lexicon=...), zhner predict --lexicon) and postprocess=False."""

from __future__ import annotations

import itertools
import json
import shutil
from pathlib import Path

import pytest
from zhner.inference import Extractor
from zhner.inference.cli import main
from zhner.models.lexicon import LexiconError

TEXT = "浙江省经信厅表示,温岭市泵与电机产业集群入选国家先进制造业集群,营收3.9万亿元。"


@pytest.fixture(scope="module")
def network(tiny_model) -> Extractor:
    return Extractor.load(tiny_model, postprocess=False)


def names_file(tmp_path: Path, names: dict[str, str]) -> Path:
    path = tmp_path / "names.tsv"
    path.write_text("# test names\n" + "".join(f"{n}\t{lab}\n" for n, lab in names.items()), encoding="utf-8")
    return path


def free_stretch(text: str, taken: list[tuple[int, int]], size: int = 3) -> tuple[int, int]:
    """A stretch of ``size`` non-space characters of ``text`` that overlaps no taken range."""
    for start in range(len(text) - size + 1):
        end = start + size
        if all(end <= a or b <= start for a, b in taken) and not any(c in ",。" for c in text[start:end]):
            return start, end
    raise AssertionError("the network tagged the whole text")


def test_postprocess_false_is_the_network_alone(tiny_model, network) -> None:
    ex = Extractor.load(tiny_model)
    ex.meta.lexicon, ex.meta.rules = "first", "override"
    ex.lexicon = {"浙江省经信厅": "ORG"}
    by_meta = Extractor.load(tiny_model)
    by_meta.meta.lexicon = by_meta.meta.rules = "none"
    alone = [e.span for e in network(TEXT)]
    assert alone == [e.span for e in by_meta(TEXT)]
    assert alone != [e.span for e in ex(TEXT)]  # the rules add the METRIC 3.9万亿元
    assert network.meta.lexicon == Extractor.load(tiny_model).meta.lexicon  # nothing was switched off in meta


def test_a_name_the_model_misses_is_found_with_fill(tiny_model, network, tmp_path) -> None:
    """The tiny model was trained with lexicon: none, so the user's names alone are applied."""
    assert network.meta.lexicon == "none"
    alone = network(TEXT)
    a, b = free_stretch(TEXT, [(e.start, e.end) for e in alone])
    ex = Extractor.load(tiny_model, lexicon=names_file(tmp_path, {TEXT[a:b]: "ORG"}))
    ents = ex(TEXT)
    assert (a, b, "ORG", TEXT[a:b], 1.0) in [(e.start, e.end, e.label, e.text, e.score) for e in ents]
    assert {e.span for e in alone} <= {e.span for e in ents}  # fill keeps every span of the network
    assert all(x.end <= y.start for x, y in itertools.pairwise(ents))


def test_first_lets_the_users_name_override_a_model_span(tiny_model, network, tmp_path) -> None:
    text = "海康威视营收2311.7亿元,浙江省经信厅表示温岭市入选。"
    alone = network(text)
    assert alone, "the tiny model finds something here"
    target = alone[0]
    other = next(lab for lab in ("ORG", "LOC", "HONOR") if lab != target.label)
    names = names_file(tmp_path, {target.text: other})
    fill = Extractor.load(tiny_model, lexicon=names)(text)
    assert target in fill  # fill: the model's span stays
    first = Extractor.load(tiny_model, lexicon=names, lexicon_mode="first")(text)
    assert (target.start, target.end, other, 1.0) in [(e.start, e.end, e.label, e.score) for e in first]
    assert target not in first
    assert all(e in first for e in alone if e.text != target.text)  # only where the user's name occurs


def test_user_names_join_the_models_own_lexicon(tiny_model, tmp_path) -> None:
    """A model with lexicon: fill keeps filling its own names, even when the user's names come first."""
    model = tmp_path / "model"
    shutil.copytree(tiny_model, model)
    meta = json.loads((model / "zhner.json").read_text(encoding="utf-8"))
    (model / "zhner.json").write_text(json.dumps({**meta, "lexicon": "fill"}), encoding="utf-8")
    alone = Extractor.load(model, postprocess=False)(TEXT)
    assert alone, "the tiny model finds something here"
    target = alone[0]
    other = next(lab for lab in ("ORG", "LOC", "HONOR") if lab != target.label)
    taken = [(e.start, e.end) for e in alone]
    known = free_stretch(TEXT, taken)
    mine = free_stretch(TEXT, [*taken, known])
    lexicon = {TEXT[slice(*known)]: "HONOR", target.text: other}
    (model / "lexicon.json").write_text(json.dumps(lexicon, ensure_ascii=False), encoding="utf-8")
    ex = Extractor.load(model, lexicon=names_file(tmp_path, {TEXT[slice(*mine)]: "LOC"}), lexicon_mode="first")
    ents = [(e.start, e.end, e.label) for e in ex(TEXT)]
    assert (*mine, "LOC") in ents  # the user's name
    assert (*known, "HONOR") in ents  # the model's own name, filled where the network found nothing
    assert (target.start, target.end, target.label) in ents  # the model's lexicon stays fill: the network wins


def test_bad_dictionary_raises_before_the_model_loads(tmp_path) -> None:
    bad = tmp_path / "bad.tsv"
    bad.write_text("台积电\tORG\n温岭 LOC\n", encoding="utf-8")
    with pytest.raises(LexiconError, match=r"bad\.tsv:2: no tab"):
        Extractor.load(tmp_path / "no-model-here", lexicon=bad)
    with pytest.raises(ValueError, match="unknown lexicon mode 'none'"):
        Extractor.load(tmp_path / "no-model-here", lexicon=bad, lexicon_mode="none")


def test_predict_cli_with_a_dictionary(tiny_model, network, tmp_path) -> None:
    alone = network(TEXT)
    a, b = free_stretch(TEXT, [(e.start, e.end) for e in alone])
    names = names_file(tmp_path, {TEXT[a:b]: "HONOR"})
    src = tmp_path / "in.txt"
    src.write_text(TEXT, encoding="utf-8")
    out = tmp_path / "out.jsonl"
    rc = main(["--model", str(tiny_model), str(src), "-o", str(out), "-q", "--lexicon", str(names), "--device", "cpu"])
    assert rc == 0
    (row,) = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [a, b, "HONOR"] in row["entities"]
    assert row["scores"][row["entities"].index([a, b, "HONOR"])] == 1.0


@pytest.mark.parametrize(
    ("names", "reason"),
    [
        (b"\xe5\x8f\xb0\xe7\xa7\xaf\xe7\x94\xb5\tORG\nbad line\n", ":2: no tab; write name<TAB>label"),
        (b"\tORG\n", ":1: empty name"),
        (b"x\tPERSON\n", ":1: unknown label 'PERSON'"),
        (b"# fine\n\xc3\x28\tLOC\n", ":2: invalid UTF-8 at byte offset 0"),
    ],
)
def test_predict_cli_bad_dictionary_is_one_line_and_predicts_nothing(
    tiny_model, tmp_path, capsys, names: bytes, reason: str
) -> None:
    path = tmp_path / "names.tsv"
    path.write_bytes(names)
    src = tmp_path / "in.txt"
    src.write_text(TEXT, encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert main(["--model", str(tiny_model), str(src), "-o", str(out), "-q", "--lexicon", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: {path}{reason}") and err.count("\n") == 1
    assert not out.exists()


def test_predict_cli_lexicon_mode_needs_a_lexicon(tiny_model, capsys) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--model", str(tiny_model), "--lexicon-mode", "first", "-q"])
    assert info.value.code == 2
    assert "--lexicon-mode needs --lexicon FILE" in capsys.readouterr().err


def test_predict_cli_unknown_or_missing_device_is_one_line(tiny_model, tmp_path, capsys) -> None:
    import torch

    src = tmp_path / "in.txt"
    src.write_text(TEXT, encoding="utf-8")
    assert main(["--model", str(tiny_model), str(src), "-q", "--device", "toaster"]) == 1
    assert capsys.readouterr().err == "error: unknown device 'toaster'; use auto, cpu, cuda or cuda:N\n"
    missing = f"cuda:{torch.cuda.device_count()}"
    assert main(["--model", str(tiny_model), str(src), "-q", "--device", missing]) == 1
    assert f"error: device '{missing}' is not available here" in capsys.readouterr().err


def test_predict_help_gives_every_option_a_default() -> None:
    from zhner.inference.cli import build_parser

    for action in build_parser("zhner predict")._actions:
        if action.option_strings and action.dest != "help":
            assert "default" in (action.help or ""), action.option_strings
