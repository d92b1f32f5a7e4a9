"""Convert Baidu LAC 2.1.2's ``lac`` model to safetensors once, and run real LAC as the reference.

LAC needs paddlepaddle and ``numpy<2``, so this file runs as a plain script in LAC's own environment
(it imports nothing of the project, and paddle only inside functions)::

    .venv-lac/bin/python models/lacconvert.py --output models/bundled/lac

It loads ``LAC/lac_model/model`` (a paddle inference program and one file per parameter) with paddle's
loader and writes the parameters under their paddle names and shapes, fp32, as ``model.safetensors``
(the format is written by hand: that environment has no safetensors), beside LAC's dictionaries copied
byte for byte (``word.dic``, ``tag.dic``, ``q2b.dic``, ``small_seg.dic``), ``args.json`` (the network
sizes of ``args.ini``) and a ``README.md`` with the licence notice. :mod:`zhner.models.lacnet` loads it
with torch only.

The same script is the reference for the port's tests and benchmark: ``--reference`` reads a JSON list
of texts on standard input and writes real LAC's per-character tags and (word, tag) pairs, with the
seconds LAC itself took; :func:`run_reference` calls it from the project's environment, and
:func:`sample_corpus` picks the fixed sample of ``../shared/corpus/text`` they compare on.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import struct
import subprocess
import sys
import time
from pathlib import Path

LAC_PYTHON = os.environ.get("ZHNER_LAC_PYTHON", ".venv-lac/bin/python")  # with LAC 2.1.2 and paddlepaddle 2.6
DICTS = ("word.dic", "tag.dic", "q2b.dic", "small_seg.dic")
NOTICE = """\
Copyright (c) 2020  Baidu, Inc. All Rights Reserved.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License."""


def import_lac():
    """LAC's package, with ``paddle.fluid`` aliased to ``paddle.base`` (LAC 2.1.2 predates the rename)."""
    import paddle
    import paddle.base

    sys.modules.setdefault("paddle.fluid", paddle.base)
    sys.modules.setdefault("paddle.fluid.core", paddle.base.core)
    import LAC

    return LAC


def read_params(model_dir: Path) -> dict:
    """Every persistable parameter of LAC's inference program, name -> float32 numpy array."""
    import numpy as np
    import paddle

    paddle.enable_static()
    exe = paddle.static.Executor(paddle.CPUPlace())
    scope = paddle.static.Scope()
    with paddle.static.scope_guard(scope):
        program, _, _ = paddle.static.load_inference_model(
            str(model_dir), exe, model_filename=None, params_filename=None
        )
        names = sorted(v.name for v in program.list_vars() if v.persistable and v.name not in ("feed", "fetch"))
        return {n: np.ascontiguousarray(np.array(scope.find_var(n).get_tensor()), dtype=np.float32) for n in names}


def write_safetensors(path: Path, tensors: dict, metadata: dict[str, str]) -> None:
    """The safetensors format: 8-byte little-endian header length, JSON header (padded to 8), raw data."""
    header: dict = {"__metadata__": metadata}
    offset = 0
    for name, array in tensors.items():
        header[name] = {"dtype": "F32", "shape": list(array.shape), "data_offsets": [offset, offset + array.nbytes]}
        offset += array.nbytes
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)) + raw)
        for array in tensors.values():
            f.write(array.astype("<f4").tobytes())


def readme(args: dict, version: str) -> str:
    return f"""# Baidu LAC {version}, `lac` model, converted for torch

The lexical-analysis network (word segmentation, part of speech, PER/LOC/ORG/TIME) of
[LAC](https://github.com/baidu/lac) {version} by Baidu NLP, licensed Apache-2.0, converted once from
its paddle parameters (`LAC/lac_model/model`) to `model.safetensors` (fp32, the paddle names and
shapes, unchanged values). The dictionaries `word.dic`, `tag.dic`, `q2b.dic` and `small_seg.dic`
are LAC's own files, copied unchanged; `args.json` holds the network sizes of its `args.ini`:
`{json.dumps(args)}`.
Loaded by `zhner.models.lacnet.load_lac`, which re-implements the network and its preprocessing
in torch (no paddle).

Conversion command (in an environment with LAC {version} and paddlepaddle 2.6):

    .venv-lac/bin/python models/lacconvert.py --output models/bundled/lac

## Licence

These files are a Derivative Work of LAC, distributed under the Apache License 2.0. LAC's notice:

{NOTICE}
"""


def convert(output: Path) -> dict:
    """Write the converted directory; returns the manifest of tensor shapes."""
    import configparser

    lac = import_lac()
    source = Path(lac.__file__).parent / "lac_model"
    ini = configparser.ConfigParser()
    ini.read(source / "conf" / "args.ini")
    args = {k: ini.getint("NETWORK_CONFIG", k) for k in ("word_emb_dim", "grnn_hidden_dim", "bigru_num")}
    args["model"] = ini.get("TRAIN_CONFIG", "model")
    params = read_params(source / "model")
    output.mkdir(parents=True, exist_ok=True)
    meta = {"source": f"LAC {lac.version} lac_model (Baidu, Apache-2.0)", "format": "paddle names and shapes"}
    write_safetensors(output / "model.safetensors", params, meta)
    for name in DICTS:
        shutil.copyfile(source / "conf" / name, output / name)
    (output / "args.json").write_text(json.dumps({**args, "lac_version": lac.version}, indent=1) + "\n")
    (output / "README.md").write_text(readme(args, lac.version), encoding="utf-8")
    return {n: list(a.shape) for n, a in params.items()}


def reference(texts: list[str], batch_size: int = 64, repeat: int = 1) -> dict:
    """Real LAC on ``texts``: per text its raw per-character tags and (word, tag) pairs; and LAC's seconds.

    Batches go to LAC's own batched call; the seconds are those calls' (the best of ``repeat`` passes,
    after one untimed warm-up batch). Empty texts are answered here (no words, no tags), not sent:
    LAC 2.1.2 reinserts the results of empty texts at wrong places when a batch holds two in a row.
    """
    lac = import_lac().LAC(mode="lac")
    warm = [t for t in texts[:batch_size] if t]
    if warm:
        lac.model.call_run(warm)  # paddle's first run of a predictor prepares it
    batches = [
        [(i, t) for i, t in enumerate(texts[s : s + batch_size], s) if t] for s in range(0, len(texts), batch_size)
    ]
    best, out = float("inf"), {}
    for _ in range(repeat):
        seconds = 0.0
        for batch in filter(None, batches):
            began = time.perf_counter()
            result = lac.model.call_run([t for _, t in batch])["crf_result"]  # what LAC.run returns, plus raw tags
            seconds += time.perf_counter() - began
            for (i, _), (words, tags, chars) in zip(batch, result, strict=True):
                out[i] = {"words": [list(p) for p in zip(words, tags, strict=True)], "chars": chars}
        best = min(best, seconds)
    empty = {"words": [], "chars": []}
    return {"results": [out.get(i, empty) for i in range(len(texts))], "seconds": best if texts else 0.0}


def run_reference(texts: list[str], python: str = LAC_PYTHON, batch_size: int = 64, repeat: int = 1) -> dict:
    """:func:`reference` in LAC's environment, as a subprocess at one thread (from the project's own Python)."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "GLOG_minloglevel": "2"}
    command = [python, str(Path(__file__).resolve()), "--reference", "--batch-size", str(batch_size)]
    done = subprocess.run(
        [*command, "--repeat", str(repeat)],
        input=json.dumps(texts, ensure_ascii=False),
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"real LAC failed (exit status {done.returncode}): {done.stderr[-2000:]}")
    return json.loads(done.stdout)


def sample_corpus(folder: str | Path, per_file: int = 100) -> list[str]:
    """``per_file`` lines spread evenly over each ``*.txt`` of ``folder`` (sorted), stripped: read at run time."""
    out = []
    for path in sorted(Path(folder).glob("*.txt")):
        lines = [x.strip() for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
        out.extend(lines[:: max(1, len(lines) // per_file)][:per_file])
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, help="directory to write the converted model to")
    parser.add_argument("--reference", action="store_true", help="JSON list of texts on stdin -> real LAC's output")
    parser.add_argument("--batch-size", type=int, default=64, help="texts per LAC call in --reference")
    parser.add_argument("--repeat", type=int, default=1, help="timed passes in --reference (the best is reported)")
    args = parser.parse_args(argv)
    if args.reference:
        texts, answer = json.loads(sys.stdin.read()), sys.stdout
        sys.stdout = sys.stderr  # whatever paddle or LAC print must not mix with the answer
        answer.write(json.dumps(reference(texts, args.batch_size, args.repeat), ensure_ascii=False))
    elif args.output:
        for name, shape in convert(args.output).items():
            print(name, shape)
    else:
        parser.error("give --output DIR or --reference")


if __name__ == "__main__":
    if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
        sys.path.pop(0)  # run as a script: models/ itself must not shadow top-level modules for paddle
    main()
