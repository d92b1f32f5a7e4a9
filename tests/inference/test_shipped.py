"""The shipped model (package data): what `Extractor.load()` and `zhner predict` use when no model is named."""

from __future__ import annotations

import json
import subprocess
import sys

import torch
from zhner.annotate.schema import LABELS
from zhner.inference import Extractor
from zhner.models import modeldir

torch.set_num_threads(1)


def test_shipped_model_is_package_data_in_fp16() -> None:
    assert modeldir.SHIPPED.parent.parent == modeldir.PACKAGE
    meta = modeldir.read_meta(modeldir.SHIPPED)
    assert (meta.lexicon, meta.rules, meta.honor_rules) == ("fill", "override", "fill")
    header = (modeldir.SHIPPED / "model.safetensors").read_bytes()[:100_000]
    assert b'"F16"' in header and b'"F32"' not in header  # stored in half precision (loaded as fp32)


def test_extractor_load_without_a_path_is_the_shipped_model() -> None:
    text = "杭州海康威视数字技术股份有限公司2024年营收超900亿元，入选中国企业500强。"
    ents = Extractor.load()(text)
    assert all(e.label in LABELS and e.text == text[e.start : e.end] for e in ents)
    found = {(e.text, e.label) for e in ents}
    assert ("超900亿元", "METRIC") in found  # 超 is part of the figure (the spec)
    assert any(label == "ORG" and "海康威视" in t for t, label in found)


def test_predict_without_model_from_another_directory(tmp_path) -> None:
    """No --model: the shipped one, found from any working directory (not ./models)."""
    run = subprocess.run(
        [sys.executable, "-m", "zhner", "predict", "-q"],
        input="浙江新增4个国家先进制造业集群\n",
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"},
    )
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)
    assert ["4个", "METRIC"] in [[doc["text"][a:b], lab] for a, b, lab in doc["entities"]]
