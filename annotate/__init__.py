"""annotate: the label schema, the span type, gold JSONL I/O and the annotation tools.

Everything else in the project imports the schema from here:

>>> from zhner.annotate import LABELS, Span
>>> LABELS
('ORG', 'LOC', 'METRIC', 'HONOR')
"""

from zhner.annotate.gold import GoldError, Problem, Record, read_gold, read_many, validate, write_gold
from zhner.annotate.schema import BIO, BIOES, LABELS, SCHEMES, Scheme, Span, spans_to_tags, tags_to_spans

__all__ = [
    "BIO",
    "BIOES",
    "LABELS",
    "SCHEMES",
    "GoldError",
    "Problem",
    "Record",
    "Scheme",
    "Span",
    "read_gold",
    "read_many",
    "spans_to_tags",
    "tags_to_spans",
    "validate",
    "write_gold",
]
