from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest
from zhner.annotate import read_gold
from zhner.evaluation import report as rep
from zhner.evaluation.baselines import BASELINES
from zhner.evaluation.cli import main
from zhner.evaluation.evaluate import cross_validate


def test_report_predictions_mode_writes_all_outputs(root, tmp_path, capsys) -> None:
    gold = root / "data/gold/article.jsonl"
    out = tmp_path / "rep"
    assert main(["--predictions", str(gold), "--data", str(gold), "--out", str(out)]) == 0
    assert {p.name for p in out.iterdir()} == {
        "report.json",
        "report.md",
        "report.html",
        "predictions.jsonl",
        "f1.png",
        "confusion.png",
    }
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["systems"]["model"]["strict"]["micro"]["f1"] == 1.0
    assert report["errors"] == []
    assert "| micro | 89 | 100.0 [100.0, 100.0]" in capsys.readouterr().out


def test_report_predictions_must_cover_gold(root, tmp_path, capsys) -> None:
    gold = root / "data/gold/article.jsonl"
    partial = tmp_path / "p.jsonl"
    partial.write_text(gold.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    assert main(["--predictions", str(partial), "--data", str(gold), "--out", str(tmp_path / "r")]) == 1
    assert "no prediction for 38 gold sentence(s)" in capsys.readouterr().err


def test_report_cv_folds_are_disjoint_and_cover_every_sentence(root) -> None:
    report = cross_validate(
        root / "configs/tiny.yaml", ["training.epochs=1", "data.limit=0"], folds=3, progress=lambda m: None
    )
    n = len(read_gold(root / "data/gold/article.jsonl"))
    folds = report["cv"]["per_fold"]
    assert len(folds) == 3 and sum(f["test_sentences"] for f in folds) == n
    assert report["sentences"] == n and len(report["examples"]) == n
    assert set(report["systems"]) >= {"model", "rules-metric", "dictionary"}
    assert "UNTRAINED" in report["about"]["base encoder"]
    assert "Cross-validation (3 folds" in rep.to_markdown(report)


CHROMIUM_NAMES = ("chromium", "chromium-browser")  # Debian's package, and the name other distributions use


def find_chromium() -> str:
    """The Chromium binary; without one, a skip, or a failure where CI is set (CI must render the report)."""
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    message = f"no Chromium on PATH under any of {', '.join(CHROMIUM_NAMES)} (.ci/run installs Debian chromium)"
    if os.environ.get("CI", "").lower() not in ("", "0", "false"):
        pytest.fail(f"CI is set but {message}")
    pytest.skip(message)


def test_report_html_renders_in_headless_chromium(root, tmp_path) -> None:
    import matplotlib.image as mpimg
    import numpy as np

    chromium = find_chromium()
    gold = root / "data/gold/article.jsonl"
    assert main(["--predictions", str(gold), "--data", str(gold), "--out", str(tmp_path)]) == 0
    shot = tmp_path / "shot.png"
    cmd = [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--enable-logging=stderr",
        "--v=0",
        "--window-size=1200,3000",
        f"--screenshot={shot}",
        (tmp_path / "report.html").as_uri(),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    console = [line for line in proc.stderr.splitlines() if "CONSOLE" in line or "Failed to load resource" in line]
    assert console == []
    img = (mpimg.imread(shot)[..., :3] * 255).round().astype(int)
    for label, color in rep_colors().items():
        rgb = np.array([int(color[i : i + 2], 16) for i in (1, 3, 5)])
        assert (np.abs(img - rgb).sum(axis=-1) <= 6).sum() > 200, f"no {label} highlight visible"


def rep_colors() -> dict[str, str]:
    from zhner.inference.render import COLORS

    return COLORS


def test_report_scores_the_model_with_the_rules_too(root, tmp_path) -> None:
    gold = root / "data/gold/article.jsonl"
    empty = tmp_path / "empty.jsonl"
    rows = [json.loads(x) for x in gold.read_text(encoding="utf-8").splitlines()]
    empty.write_text(
        "".join(json.dumps({**r, "entities": []}, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
    )
    assert main(["--predictions", str(empty), "--data", str(gold), "--out", str(tmp_path / "r")]) == 0
    report = json.loads((tmp_path / "r/report.json").read_text(encoding="utf-8"))
    systems = report["systems"]
    assert systems["model"]["strict"]["micro"]["f1"] == 0.0
    assert systems["model+rules-fill"]["strict"]["METRIC"]["f1"] == systems["rules-metric"]["strict"]["METRIC"]["f1"]
    back = [json.loads(x) for x in (tmp_path / "r/predictions.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [b["id"] for b in back] == [r["id"] for r in rows] and all(b["entities"] == [] for b in back)


def test_report_baseline_alone(root, tmp_path, capsys) -> None:
    gold = root / "data/gold/article.jsonl"
    assert main(["--baseline", "rules-metric", "--data", str(gold), "--out", str(tmp_path / "r")]) == 0
    report = json.loads((tmp_path / "r/report.json").read_text(encoding="utf-8"))
    assert report["main"] == "rules-metric" and report["systems"]["rules-metric"]["strict"]["METRIC"]["f1"] == 1.0
    assert main(["--baseline", "oracle", "--data", str(gold)]) == 1
    err = capsys.readouterr().err
    # jieba joins the list when it is installed (the dev extra has it), lac+rules when LAC's port or LAC is here
    from zhner.evaluation.baselines import active

    assert f"unknown baseline 'oracle'; choose one of: {', '.join(sorted(active()))}" in err
    assert {"dictionary", "dictionary+rules", "rules-metric"} <= set(BASELINES)


def test_report_scores_every_lexicon_mode_with_the_rules() -> None:
    from zhner.annotate.gold import Record
    from zhner.annotate.schema import Span

    # the network found the longer name; the lexicon knows only the short one
    records = [Record("a", "海康威视新增3家工厂", [Span(0, 4, "ORG"), Span(6, 8, "METRIC")])]
    model = [[Span(0, 4, "ORG")]]
    lexicon = [[Span(0, 2, "ORG")]]
    report = rep.build(records, {rep.MAIN: model}, title="t", lexicon_spans=lexicon, lexicon_mode="first")
    systems = report["systems"]
    assert {"model+lexicon-first", "model+lexicon-first+rules-override", "model+lexicon-fill+rules-override"} <= set(
        systems
    )
    assert "model+lexicon-fill" not in systems  # only the configured mode gets a row without the rules
    assert systems["model+lexicon-fill+rules-override"]["strict"]["micro"]["f1"] == 1.0  # the model's span stands
    assert systems["model+lexicon-first+rules-override"]["strict"]["micro"]["f1"] == 0.5  # the known short name wins


@pytest.mark.parametrize("lexicon_mode", ["none", "fill", "first"])
@pytest.mark.parametrize("rules_mode", ["none", "fill", "override"])
def test_configured_row_is_built_for_every_mode_pair(lexicon_mode, rules_mode) -> None:
    """The row a config's output is named by exists in its report, for every lexicon × rules pair."""
    from zhner.annotate.gold import Record
    from zhner.annotate.schema import Span

    records = [Record("a", "海康威视新增3家工厂", [Span(0, 4, "ORG"), Span(6, 8, "METRIC")])]
    report = rep.build(
        records,
        {rep.MAIN: [[Span(0, 4, "ORG")]]},
        title="t",
        lexicon_spans=[[Span(0, 2, "ORG")]],
        lexicon_mode=lexicon_mode,
    )
    assert rep.configured_row(lexicon_mode, rules_mode) in report["systems"]


@pytest.mark.parametrize("lexicon_mode", ["none", "fill", "first"])
@pytest.mark.parametrize("rules_mode", ["none", "override"])
@pytest.mark.parametrize("honor_mode", ["none", "fill"])
@pytest.mark.parametrize("word_mode", ["snap", "drop"])
def test_word_edges_rows_stand_beside_the_same_rows_without_them(lexicon_mode, rules_mode, honor_mode, word_mode):
    """model.word_edges: the configured row gets a +words-… suffix, and the row without it is in the report too."""
    from zhner.annotate.gold import Record
    from zhner.annotate.schema import Span

    records = [Record("a", "通用汽车新增3家工厂", [Span(0, 4, "ORG"), Span(6, 8, "METRIC")])]
    report = rep.build(
        records,
        {rep.MAIN: [[Span(0, 3, "ORG")]]},  # 通用汽: a fragment of the word 通用汽车
        title="t",
        lexicon_spans=[[]],
        lexicon_mode=lexicon_mode if lexicon_mode != "none" else "first",
        configured=(lexicon_mode, rules_mode, honor_mode, word_mode),
    )
    systems = report["systems"]
    row = rep.configured_row(lexicon_mode, rules_mode, honor_mode, rep.MAIN, word_mode)
    assert row.endswith(f"+words-{word_mode}") and f"model+words-{word_mode}" in systems
    assert rep.configured_row(lexicon_mode, rules_mode, honor_mode) in systems and row in systems
    assert systems[f"model+words-{word_mode}"]["strict"]["ORG"]["f1"] == (1.0 if word_mode == "snap" else 0.0)
