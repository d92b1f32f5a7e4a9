"""zhner: entities (ORG, LOC, METRIC, HONOR) in Chinese industrial and economic news.

    from zhner import Extractor
    ex = Extractor.load()                     # the shipped model
    ex("浙江新增4个国家先进制造业集群")       # -> [Entity(start, end, label, text, score), ...]

The stages install under this one namespace: ``zhner.annotate`` (schema, gold data), ``zhner.models``
(heads, encoders, model directories, rules), ``zhner.train``, ``zhner.inference`` and
``zhner.evaluation``; ``zhner.cli`` is the ``zhner`` command. ``Extractor`` and ``Entity`` are imported
when first used, so ``import zhner`` does not load torch.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Entity", "Extractor"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from zhner import inference

        return getattr(inference, name)
    raise AttributeError(f"module 'zhner' has no attribute {name!r}")
