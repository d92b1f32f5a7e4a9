from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import HealthCheck, settings

# The property tests run on a loaded 2-core machine (CI, or beside a training job): no per-example deadline
# (Hypothesis' default of 200 ms fails there on timing alone), and slow data generation is not an error.
settings.register_profile("zhner", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("zhner")

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def load_benchmark():
    """Import a script of benchmarks/ (not a package) as a module, to test its functions."""

    def load(name: str) -> ModuleType:
        spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "benchmarks" / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    return load


@pytest.fixture
def write_jsonl(tmp_path: Path):
    """Write raw lines (strings, not objects) to a file and return its path."""

    def write(lines: list[str] | str, name: str = "gold.jsonl") -> Path:
        path = tmp_path / name
        text = lines if isinstance(lines, str) else "\n".join(lines) + "\n"
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    """A model directory trained for one epoch on the tiny config (seconds): for inference and evaluation tests."""
    import torch
    from zhner.train.config import load_config
    from zhner.train.run import run

    torch.set_num_threads(1)
    out = tmp_path_factory.mktemp("tiny") / "model"
    run(load_config(ROOT / "configs/tiny.yaml", ["training.epochs=1"]), output=out)
    return out
