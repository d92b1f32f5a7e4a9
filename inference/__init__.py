"""inference: run a trained model over new text.

from zhner.inference import Extractor
ex = Extractor.load("runs/default")
ex("浙江新增4个国家先进制造业集群")      # -> [Entity(start, end, label, text, score), ...]
"""

from zhner.inference.extractor import Entity, Extractor

__all__ = ["Entity", "Extractor"]
