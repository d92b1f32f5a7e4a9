from __future__ import annotations

import json
import subprocess
import sys

from zhner.annotate import validate
from zhner.annotate.formats import read
from zhner.inference.cli import main


def test_predict_jsonl_output_validates_and_reports_bad_lines(tiny_model, tmp_path, capsys) -> None:
    src = tmp_path / "in.jsonl"
    src.write_bytes(
        '{"id": "a", "text": "浙江新增4个集群", "source": "x"}\nnot json\n{"id": "b"}\n'.encode()
        + b'{"id": "c", "text": "\xff"}\n'
        + b'{"id": "d", "text": ""}\n'
        + b'{"id": "e", "text": 7}\n'
        + b'{"id": "f", "text": "ok \\ud800 bad"}\n'
    )
    out = tmp_path / "out.jsonl"
    rc = main(["--model", str(tiny_model), str(src), "-o", str(out), "-q"])
    err = capsys.readouterr().err
    assert rc == 1
    assert f"{src}:2: invalid JSON: Expecting value; line skipped" in err
    assert f'{src}:3: "text" must be a string, got nothing; line skipped' in err
    assert f'{src}:6: "text" must be a string, got int; line skipped' in err
    assert f'{src}:7: "text" holds a lone surrogate at character 3; line skipped' in err
    assert f"{src}:4: invalid UTF-8 at byte offset 21; line skipped" in err
    rows = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["a", "d"]
    assert rows[0]["source"] == "x" and len(rows[0]["scores"]) == len(rows[0]["entities"])
    assert rows[1]["entities"] == []
    assert list(validate(out)) == []


def test_predict_txt_and_all_formats(tiny_model, root, tmp_path) -> None:
    article = root / "data/raw/article.txt"
    for fmt in ["jsonl", "conll", "label-studio", "html"]:
        out = tmp_path / f"out.{fmt}"
        assert main(["--model", str(tiny_model), str(article), "--format", fmt, "-o", str(out), "-q"]) == 0
    (rec,) = read(tmp_path / "out.label-studio", "label-studio")
    assert rec.text == article.read_text(encoding="utf-8")
    assert read(tmp_path / "out.conll", "bio")[0].text == rec.text
    page = (tmp_path / "out.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "http" not in page


def test_predict_invalid_utf8_file_is_reported(tiny_model, tmp_path, capsys) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\xff\xfe")
    assert main(["--model", str(tiny_model), str(bad), "-q", "-o", str(tmp_path / "o.jsonl")]) == 1
    assert f"{bad}: not valid UTF-8 (byte offset 0); file skipped" in capsys.readouterr().err


def test_predict_missing_model_is_one_line(tmp_path, capsys) -> None:
    assert main(["--model", str(tmp_path / "nope"), "-q"]) == 1
    err = capsys.readouterr().err
    assert err == f"error: {tmp_path / 'nope'}: no such model directory (train one with `zhner train`)\n"


def test_predict_stdin_lines(tiny_model, root) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "zhner.inference", "--model", str(tiny_model), "-q"],
        input="浙江新增4个集群\n\n杭州\n",
        capture_output=True,
        text=True,
        cwd=root,
    )
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(x) for x in proc.stdout.splitlines()]
    assert [(r["id"], r["text"]) for r in rows] == [("stdin-1", "浙江新增4个集群"), ("stdin-3", "杭州")]


def test_predict_stdin_reports_undecodable_line(tiny_model, root) -> None:
    """An undecodable stdin line is reported as <stdin>:N and the exit status is 1; the others are processed."""
    proc = subprocess.run(
        [sys.executable, "-m", "zhner.inference", "--model", str(tiny_model), "-q"],
        input=b"ok\n\xff\xfe bad\nok\n",
        capture_output=True,
        cwd=root,
    )
    assert proc.returncode == 1
    assert "<stdin>:2: invalid UTF-8 at byte offset 0; line skipped" in proc.stderr.decode()
    rows = [json.loads(x) for x in proc.stdout.decode().splitlines()]
    assert [r["id"] for r in rows] == ["stdin-1", "stdin-3"]
