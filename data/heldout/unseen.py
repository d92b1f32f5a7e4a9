"""Share of distinct ORG/LOC/HONOR surfaces in news.jsonl never seen in the training files.

The training files are the default config's ``data.train`` and ``data.extra``
(data/gold/article.jsonl, data/authored/*.jsonl). "Seen" is checked two ways:
(a) the surface is an annotated span of any label in them; (b) the surface occurs
anywhere in their text (substring, stricter). Run from the repository root:

    python data/heldout/unseen.py
"""

from __future__ import annotations

import glob

import yaml
from zhner.annotate import read_many


def training_files() -> list[str]:
    """The default config's training files, globs expanded (read as YAML: no torch import)."""
    with open("configs/default.yaml", encoding="utf-8") as fh:
        data = yaml.safe_load(fh)["data"]
    return [f for pattern in data["train"] + data["extra"] for f in sorted(glob.glob(pattern))]


def main() -> None:
    train = read_many(training_files())
    spans = {s.text_in(r.text) for r in train for s in r.entities}
    blob = "\n".join(r.text for r in train)
    held: dict[str, set[str]] = {}
    for r in read_many(["data/heldout/news.jsonl"]):
        for s in r.entities:
            if s.label in ("ORG", "LOC", "HONOR"):
                held.setdefault(s.label, set()).add(s.text_in(r.text))

    total = n_span = n_text = 0
    for label, surfaces in held.items():
        u_span = {x for x in surfaces if x not in spans}
        u_text = {x for x in surfaces if x not in blob}
        total, n_span, n_text = total + len(surfaces), n_span + len(u_span), n_text + len(u_text)
        print(
            f"{label:6} distinct {len(surfaces):3}  unseen as span {len(u_span):3} ({len(u_span) / len(surfaces):.0%})"
            f"  unseen in text {len(u_text):3} ({len(u_text) / len(surfaces):.0%})"
        )
        print("   seen in text:", " ".join(sorted(surfaces - u_text)))
    print(
        f"ALL    distinct {total:3}  unseen as span {n_span:3} ({n_span / total:.0%})"
        f"  unseen in text {n_text:3} ({n_text / total:.0%})"
    )


if __name__ == "__main__":
    main()
