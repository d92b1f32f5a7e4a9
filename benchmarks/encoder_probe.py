"""Cheap checks of pretrained encoders, without fine-tuning them.

    python benchmarks/encoder_probe.py models/bundled/zh-char-mini runs/pretrain-gpu [...]

For each encoder directory it prints
- the MLM loss on single gold sentences (each alone, padded: the fine-tuning
  situation, not packed blocks), with a fixed masking seed;
- a linear probe: logistic regression from frozen last-layer character vectors
  to the character's label (O/ORG/LOC/METRIC/HONOR), fit on the authored
  sentences (parts 1-2), scored by macro-F1 per character on the article;
- dropout sensitivity: the mean cosine between each character's last-layer
  vector with dropout off and with the 0.1 dropout fine-tuning uses (1.0: no
  change). An encoder pretrained long without dropout can score low here and
  fine-tune badly with dropout on (``model.dropout`` overrides it).

The probe says how much entity information the frozen features carry; the
cross-validated fine-tuning (`zhner evaluate cv --set model.base=DIR`) says
what the project gets from them. The two disagreed for the GPU-pretrained
encoder (README): read both.
"""

from __future__ import annotations

import argparse

import numpy as np
import torch
from zhner.models.modeldir import BATCH_SIZE


def batches(tok, records, size: int = BATCH_SIZE):
    """(records, padded encoding) in batches; every character a token, as in fine-tuning."""
    for i in range(0, len(records), size):
        rs = records[i : i + size]
        enc = tok(
            [list(r.text) for r in rs],
            is_split_into_words=True,
            padding=True,
            truncation=True,
            max_length=256,
            return_tensors="pt",
        )
        yield rs, enc


def mlm_loss_on_sentences(model, tok, records) -> float:
    from zhner.train.pretrain import mask_tokens

    total, count = 0.0, 0
    gen = torch.Generator().manual_seed(0)
    for _, enc in batches(tok, records):
        inputs, labels = mask_tokens(enc["input_ids"], tok, 0.15, gen)
        with torch.no_grad():
            loss = model(input_ids=inputs, attention_mask=enc["attention_mask"], labels=labels).loss
        k = int((labels != -100).sum())
        total, count = total + float(loss) * k, count + k
    return total / count


def features(model, tok, records) -> tuple[np.ndarray, np.ndarray]:
    """Frozen last-layer vectors of every character and its label (O, ORG, LOC, METRIC, HONOR)."""
    from zhner.annotate.schema import spans_to_tags

    xs, ys = [], []
    for rs, enc in batches(tok, records):
        with torch.no_grad():
            hidden = model.bert(**enc).last_hidden_state
        for j, r in enumerate(rs):
            n = min(len(r.text), 254)
            xs.append(hidden[j, 1 : n + 1].numpy())
            ys += [t.split("-")[-1] for t in spans_to_tags(len(r.text), r.entities)[:n]]
    return np.concatenate(xs), np.array(ys)


def dropout_agreement(model, tok, records, p: float = 0.1) -> float:
    """Mean cosine between last-layer character vectors without and with dropout ``p`` (fixed seed)."""
    drops = [m for m in model.modules() if isinstance(m, torch.nn.Dropout)]
    total, count = 0.0, 0
    torch.manual_seed(0)
    for _, enc in batches(tok, records):
        mask = enc["attention_mask"].bool()
        with torch.no_grad():
            model.eval()
            clean = model.bert(**enc).last_hidden_state[mask]
            model.train()
            for m in drops:
                m.p = p
            noisy = model.bert(**enc).last_hidden_state[mask]
        total += float(torch.nn.functional.cosine_similarity(clean, noisy, dim=-1).sum())
        count += len(clean)
    model.eval()
    return total / count


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("encoders", nargs="+", help="encoder directories (BERT checkpoints with the project tokenizer)")
    p.add_argument("--threads", type=int, default=0)
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score
    from transformers import AutoTokenizer, BertForMaskedLM
    from transformers.utils import logging as hf_logging
    from zhner.annotate import read_many

    hf_logging.set_verbosity_error()
    train = read_many(["data/authored/part-1.jsonl", "data/authored/part-2.jsonl"])
    test = read_many(["data/gold/article.jsonl"])
    for where in args.encoders:
        tok = AutoTokenizer.from_pretrained(where)
        model = BertForMaskedLM.from_pretrained(where, dtype=torch.float32).eval()
        loss = mlm_loss_on_sentences(model, tok, test + train[:200])
        x_train, y_train = features(model, tok, train)
        x_test, y_test = features(model, tok, test)
        probe = LogisticRegression(max_iter=2000).fit(x_train, y_train)
        f1 = f1_score(y_test, probe.predict(x_test), average="macro")
        accuracy = probe.score(x_train, y_train)
        agreement = dropout_agreement(model, tok, test)
        print(
            f"{where}: MLM loss on single sentences {loss:.3f}; linear probe macro-F1 per character "
            f"on the article {f1:.3f} (train accuracy {accuracy:.3f}); dropout 0.1 keeps cosine {agreement:.3f}"
        )


if __name__ == "__main__":
    main()
