"""Defaults once: configs/default.yaml shows the dataclass defaults of train/config.py, key for key (issue #15).

tests/train/test_config.py loads the file strictly (an unknown key is an
error) and compares it with the defaults; this test also asks the other way:
every field of the dataclasses is written in the file, with the same value.
"""

from __future__ import annotations

import dataclasses

import yaml
from zhner.train.config import Config

# fields that configs/default.yaml does not list (yet): each must really be missing, so the list stays exact
NOT_LISTED: set[str] = set()


def fields(cls, prefix: str = "") -> dict[str, object]:
    """``section.key`` -> default of every field, nested dataclasses (model.scratch) key by key."""
    out: dict[str, object] = {}
    for f in dataclasses.fields(cls):
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
        if dataclasses.is_dataclass(default):
            out.update(fields(type(default), f"{prefix}{f.name}."))
        else:
            out[f"{prefix}{f.name}"] = default
    return out


def written(values: dict, prefix: str = "") -> dict[str, object]:
    """``section.key`` -> value of every key of the YAML mapping, nested mappings key by key."""
    out: dict[str, object] = {}
    for key, value in values.items():
        if isinstance(value, dict):
            out.update(written(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def test_default_yaml_writes_every_dataclass_default(root) -> None:
    defaults = fields(Config)
    listed = written(yaml.safe_load((root / "configs/default.yaml").read_text(encoding="utf-8")))
    assert sorted(set(listed) - set(defaults)) == [], "keys in configs/default.yaml that no dataclass has"
    different = {k: (v, defaults[k]) for k, v in listed.items() if v != defaults[k]}
    assert different == {}, "configs/default.yaml value != dataclass default (yaml, code)"
    missing = set(defaults) - set(listed)
    assert missing == NOT_LISTED, (
        f"fields missing from configs/default.yaml: {sorted(missing)}; NOT_LISTED says {sorted(NOT_LISTED)}"
    )
