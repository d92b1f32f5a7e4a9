"""zhner evaluate --model: the report scores the model's own predictions, names the row its output is,
and warns when the evaluated sentences were in the model's training files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch
from zhner.annotate import Span, read_gold, write_gold
from zhner.evaluation import report as rep
from zhner.evaluation.cli import main
from zhner.evaluation.evaluate import evaluate_model
from zhner.inference import Extractor

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def default_output_model(tmp_path_factory, request) -> Path:
    """The tiny config with the default's output settings: lexicon fill, rules override."""
    from zhner.train.config import load_config
    from zhner.train.run import run

    root = Path(request.config.rootpath)
    out = tmp_path_factory.mktemp("default-output") / "model"
    cfg = load_config(
        root / "configs/tiny.yaml",
        ["training.epochs=2", "model.lexicon=fill", "model.rules=override", "model.honor_rules=none"],
    )
    run(cfg, output=out, progress=False)
    return out


@pytest.fixture
def at_root(root, monkeypatch) -> Path:
    monkeypatch.chdir(root)  # a model's zhner.json names its training files relative to the project
    return root


def spans_of(results) -> list[list]:
    return [[e.span for e in ents] for ents in results]


def model_with(model_dir: Path, tmp_path: Path, **meta) -> Path:
    """A copy of a model directory whose zhner.json has these keys changed (its output settings)."""
    model = tmp_path / "model"
    shutil.copytree(model_dir, model)
    old = json.loads((model / "zhner.json").read_text(encoding="utf-8"))
    (model / "zhner.json").write_text(json.dumps({**old, **meta}), encoding="utf-8")
    return model


def article_head(root: Path, tmp_path: Path, n: int) -> tuple[list, Path]:
    """The first ``n`` article sentences, and a gold file holding them."""
    gold = read_gold(root / "data/gold/article.jsonl")[:n]
    gold_file = tmp_path / "gold.jsonl"
    write_gold(gold_file, gold)
    return gold, gold_file


def keep_rows(monkeypatch) -> dict[str, list]:
    """Every row the report builds from the model's predictions (evaluation.report.hybrids), by name."""
    rows: dict[str, list] = {}
    real = rep.hybrids

    def keep(*args, **kwargs):
        out = real(*args, **kwargs)
        rows.update(out)
        return out

    monkeypatch.setattr(rep, "hybrids", keep)
    return rows


def test_the_configured_row_is_what_the_extractor_outputs(default_output_model, at_root, monkeypatch) -> None:
    """Sentence by sentence, the report row named by configured_row(lexicon, rules) holds exactly the
    spans the loaded Extractor gives with the model's own lexicon and rules; its scores are theirs."""
    gold_file = at_root / "data/gold/article.jsonl"
    gold = read_gold(gold_file)
    rows = keep_rows(monkeypatch)
    report = evaluate_model(default_output_model, [gold_file])

    ex = Extractor.load(default_output_model)
    assert (ex.meta.lexicon, ex.meta.rules) == ("fill", "override")
    row = rep.configured_row(ex.meta.lexicon, ex.meta.rules)
    assert row == "model+lexicon-fill+rules-override"
    assert f"'{row}' row" in report["about"]["output"]
    output = spans_of(ex.extract_many([r.text for r in gold]))
    assert rows[row] == output
    assert report["systems"][row]["strict"] == rep.score_system(gold, output)["strict"]
    # the row is not the network alone, nor the network with only one of its two additions
    assert output != rows["model+rules-override"]
    assert output != rows["model+lexicon-fill"]
    ex.meta.lexicon = ex.meta.rules = "none"
    alone = spans_of(ex.extract_many([r.text for r in gold]))
    assert output != alone
    assert [[tuple(s) for s in e["pred"]] for e in report["examples"]] == [
        [(s.start, s.end, s.label) for s in p] for p in alone
    ]


@pytest.mark.parametrize("lexicon", ["none", "fill", "first"])
@pytest.mark.parametrize("rules", ["none", "fill", "override"])
def test_every_output_setting_has_its_row(default_output_model, at_root, tmp_path, monkeypatch, lexicon, rules):
    """For each model.lexicon x model.rules a model directory can carry, the configured row is its output."""
    model = model_with(default_output_model, tmp_path, lexicon=lexicon, rules=rules)
    gold, gold_file = article_head(at_root, tmp_path, 12)
    rows = keep_rows(monkeypatch)
    report = evaluate_model(model, [gold_file])
    output = spans_of(Extractor.load(model).extract_many([r.text for r in gold]))
    row = rep.configured_row(lexicon, rules)
    assert report["systems"][row]["strict"] == rep.score_system(gold, output)["strict"]
    if row != rep.MAIN:
        assert rows[row] == output
    else:
        assert [[Span.from_list(s) for s in e["pred"]] for e in report["examples"]] == output


def test_evaluate_model_cli_warns_about_training_sentences(tiny_model, at_root, tmp_path, capsys) -> None:
    """Three article sentences (the tiny model's training file) and three held-out ones: the report and
    the printed summary say 3 of 6 were training data; the held-out three alone get no warning."""
    article = read_gold(at_root / "data/gold/article.jsonl")
    heldout = read_gold(at_root / "data/heldout/news.jsonl")
    mixed = tmp_path / "mixed.jsonl"
    write_gold(mixed, [*article[10:13], *heldout[:3]])
    out = tmp_path / "rep"
    assert main(["--model", str(tiny_model), "--data", str(mixed), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["about"]["WARNING"].startswith("3 of 6 evaluated sentences are in the model's training files")
    assert f"- WARNING: {report['about']['WARNING']}" in printed
    assert report["about"]["training files of the model"] == "data/gold/article.jsonl"
    assert "UNTRAINED" in report["about"]["base encoder"]
    assert report["sentences"] == 6 and {"model", "rules-metric", "dictionary"} <= set(report["systems"])
    assert "| label | gold | model |" in printed

    # the predictions scored (and written) are the model's own
    ex = Extractor.load(tiny_model)
    ex.meta.lexicon = ex.meta.rules = "none"
    expected = spans_of(ex.extract_many([r.text for r in read_gold(mixed)]))
    written = [json.loads(x) for x in (out / "predictions.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [[tuple(s) for s in w["entities"]] for w in written] == [
        [(s.start, s.end, s.label) for s in p] for p in expected
    ]

    unseen = tmp_path / "unseen.jsonl"
    write_gold(unseen, heldout[:3])
    assert main(["--model", str(tiny_model), "--data", str(unseen), "--out", str(tmp_path / "rep2")]) == 0
    assert "WARNING" not in capsys.readouterr().out
    report = json.loads((tmp_path / "rep2/report.json").read_text(encoding="utf-8"))
    assert "WARNING" not in report["about"]


def test_evaluate_model_cli_missing_model_is_one_line(tmp_path, capsys) -> None:
    gold = tmp_path / "g.jsonl"
    gold.write_text('{"id": "a", "text": "浙江", "entities": [[0, 2, "LOC"]]}\n', encoding="utf-8")
    assert main(["--model", str(tmp_path / "nope"), "--data", str(gold), "--out", str(tmp_path / "r")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("honor", ["none", "fill"])
def test_honor_rules_setting_has_its_row(default_output_model, at_root, tmp_path, monkeypatch, honor) -> None:
    """model.honor_rules = fill: the configured row (…+honor-fill) is what the Extractor outputs."""
    model = model_with(default_output_model, tmp_path, honor_rules=honor)
    gold, gold_file = article_head(at_root, tmp_path, 20)
    report = evaluate_model(model, [gold_file])
    ex = Extractor.load(model)
    output = spans_of(ex.extract_many([r.text for r in gold]))
    row = rep.configured_row("fill", "override", honor)
    assert row.endswith("+honor-fill") == (honor == "fill")
    assert f"'{row}' row" in report["about"]["output"]
    assert report["systems"][row]["strict"] == rep.score_system(gold, output)["strict"]


@pytest.mark.parametrize("words", ["none", "snap", "drop"])
def test_word_edges_setting_has_its_row(default_output_model, at_root, tmp_path, words) -> None:
    """model.word_edges = snap | drop: the configured row (…+words-…) is what the Extractor outputs."""
    model = model_with(default_output_model, tmp_path, word_edges=words)
    gold, gold_file = article_head(at_root, tmp_path, 20)
    report = evaluate_model(model, [gold_file])
    output = spans_of(Extractor.load(model).extract_many([r.text for r in gold]))
    row = rep.configured_row("fill", "override", "none", rep.MAIN, words)
    assert row.endswith(f"+words-{words}") == (words != "none")
    assert f"'{row}' row" in report["about"]["output"] and f"model.word_edges = {words}" in report["about"]["output"]
    assert report["systems"][row]["strict"] == rep.score_system(gold, output)["strict"]


@pytest.mark.parametrize("lac", ["fill", "first"])
def test_lac_spans_setting_has_its_row(default_output_model, at_root, tmp_path, lac) -> None:
    """model.lac_spans = fill | first: the configured row (…+lac-…) is what the Extractor outputs, per sentence."""
    model = model_with(default_output_model, tmp_path, lac_spans=lac)
    gold, gold_file = article_head(at_root, tmp_path, 20)
    report = evaluate_model(model, [gold_file])
    output = spans_of(Extractor.load(model).extract_many([r.text for r in gold]))
    row = rep.configured_row("fill", "override", "none", rep.MAIN, "none", lac)
    assert row.endswith(f"+lac-{lac}") and f"model.lac_spans = {lac}" in report["about"]["output"]
    assert report["systems"][row]["strict"] == rep.score_system(gold, output)["strict"]
    plain = spans_of(Extractor.load(default_output_model).extract_many([r.text for r in gold]))
    assert output != plain  # LAC's words changed something in 20 article sentences


def test_compare_scores_other_models_by_their_output(default_output_model, at_root, tmp_path) -> None:
    """--compare DIR: another model's output is a row of the report (here the same model: the same scores)."""
    gold_file = at_root / "data/gold/article.jsonl"
    report = evaluate_model(default_output_model, [gold_file], compare=[default_output_model])
    row = f"compare: {default_output_model}"
    configured = rep.configured_row("fill", "override")
    assert report["systems"][row]["strict"] == report["systems"][configured]["strict"]


def test_configured_row_on_traditional_text_is_the_extractor_output(default_output_model, at_root, tmp_path) -> None:
    """Traditional sentences: the report's post-processing runs on the converted text as `zhner predict` does
    (億 is a METRIC unit only once converted to 亿), so the output row is the Extractor's output."""
    from zhner.annotate.gold import Record

    texts = ["臺灣積體電路製造公司去年營收達3億元，員工超過5萬人。", "浙江省新增4個國家先進製造業集群。"]
    gold = [Record(f"t-{i}", t, []) for i, t in enumerate(texts)]
    gold_file = tmp_path / "trad.jsonl"
    write_gold(gold_file, gold)
    report = evaluate_model(default_output_model, [gold_file])
    ex = Extractor.load(default_output_model)
    output = spans_of(ex.extract_many(texts))
    assert any(s.label == "METRIC" and "億" in texts[0][s.start : s.end] for s in output[0])
    row = rep.configured_row(ex.meta.lexicon, ex.meta.rules, ex.meta.honor_rules)
    assert report["systems"][row]["strict"] == rep.score_system(gold, output)["strict"]
    assert report["systems"][row]["strict"]["micro"]["predicted"] == sum(map(len, output))
