from __future__ import annotations

import json

import pytest
import torch
from zhner.annotate import Span
from zhner.annotate.schema import BIO, LABELS
from zhner.train.config import ConfigError, load_config
from zhner.train.transfer import TransferSource, load_source, tag_mask


@pytest.fixture
def sources(tmp_path):
    """Tiny files in the two public formats, written here (no corpus text)."""
    cl = tmp_path / "cl.json"
    rows = [
        {
            "text": "杭州海康威视与市政府签约",
            "label": {
                "company": {"海康威视": [[2, 5]]},
                "government": {"市政府": [[7, 9]]},
                "address": {"杭州": [[0, 1]]},
            },
        },
        {"text": "张三加入小米", "label": {"name": {"张三": [[0, 1]]}, "company": {"小米": [[4, 5]]}}},
    ]
    cl.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    bio = tmp_path / "pd.bio"
    bio.write_text(
        "在 O\n北 B-LOC\n京 I-LOC\n的 O\n王 B-PER\n五 I-PER\n\n新 B-ORG\n华 I-ORG\n社 I-ORG\n", encoding="utf-8"
    )
    return cl, bio


def test_transfer_cluener_ends_are_inclusive_and_unmapped_types_dropped(sources) -> None:
    cl, _ = sources
    recs = load_source(TransferSource(path=str(cl), format="cluener"))
    assert [r.mentions() for r in recs] == [[("海康威视", "ORG"), ("市政府", "ORG")], [("小米", "ORG")]]
    assert recs[0].meta == {"source": "transfer:cl.json", "annotated": ["ORG"]}
    mapped = load_source(TransferSource(path=str(cl), format="cluener", labels={"address": "LOC", "company": "ORG"}))
    assert mapped[0].mentions() == [("杭州", "LOC"), ("海康威视", "ORG")]


def test_transfer_bio_maps_loc_org_and_drops_per(sources) -> None:
    _, bio = sources
    recs = load_source(TransferSource(path=str(bio), format="bio", limit=0))
    assert [r.text for r in recs] == ["在北京的王五", "新华社"]
    assert [r.entities for r in recs] == [[Span(1, 3, "LOC")], [Span(0, 3, "ORG")]]
    assert recs[0].meta["annotated"] == ["LOC", "ORG"]
    assert len(load_source(TransferSource(path=str(bio), format="bio", limit=1))) == 1


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (TransferSource(path="nope.json"), "no such file"),
        (TransferSource(path="x", format="xml"), "choose one of bio, cluener"),
        (TransferSource(path="x", partial="maybe"), "choose exclude or none"),
        (TransferSource(path="x", weight=0), "must be above 0"),
    ],
)
def test_transfer_bad_source_is_a_clear_error(source, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        load_source(source)


def test_transfer_weight_is_carried_by_each_sentence(sources) -> None:
    from zhner.train.run import row_weights

    cl, bio = sources
    light = load_source(TransferSource(path=str(cl), weight=0.25))
    assert [r.meta["weight"] for r in light] == [0.25, 0.25]
    plain = load_source(TransferSource(path=str(bio), format="bio"))
    assert "weight" not in plain[0].meta

    class Windows:  # one sentence split into two windows counts twice
        def __init__(self, n: int) -> None:
            self.windows = [None] * n

    assert row_weights(plain, [Windows(1), Windows(2)]) is None
    assert row_weights(light + plain, [Windows(1), Windows(2), Windows(1), Windows(1)]) == [0.25, 0.25, 0.25, 1, 1]


def test_transfer_weighted_sampler_draws_in_proportion() -> None:
    """Each epoch draws sum(weights) rows with replacement; a row of weight 1 comes 10x as often as one of 0.1."""
    from types import SimpleNamespace

    from zhner.train.run import NerTrainer

    weights = [1.0] * 10 + [0.1] * 100
    fake = SimpleNamespace(sample_weights=weights, args=SimpleNamespace(data_seed=42, seed=42))
    sampler = NerTrainer._get_train_sampler(fake)
    assert len(sampler) == 20
    counts = torch.zeros(len(weights))
    for _ in range(300):  # epochs: a fresh draw each time
        epoch = list(sampler)
        assert len(epoch) == 20
        counts += torch.bincount(torch.tensor(epoch), minlength=len(weights))
    gold, corpus = counts[:10].mean().item(), counts[10:].mean().item()
    assert 8 < gold / corpus < 12.5
    assert (counts[10:] > 0).sum() > 90  # the light rows still all get their turn


def test_transfer_partial_none_claims_every_label(sources) -> None:
    cl, _ = sources
    assert load_source(TransferSource(path=str(cl), partial="none"))[0].meta["annotated"] == list(LABELS)


def test_transfer_masked_loss_gives_no_gradient_to_unannotated_tags() -> None:
    tags = BIO.tags(LABELS)
    mask = torch.tensor([tag_mask(tags, ["ORG"])], dtype=torch.bool)
    logits = torch.randn(1, 4, len(tags), requires_grad=True)
    labels = torch.tensor([[0, tags.index("B-ORG"), tags.index("I-ORG"), 0]])
    masked = logits.masked_fill(~mask[:, None, :], -1e4)
    torch.nn.functional.cross_entropy(masked.reshape(-1, len(tags)), labels.reshape(-1)).backward()
    metric = [tags.index("B-METRIC"), tags.index("I-METRIC")]
    assert torch.all(logits.grad[..., metric] == 0)
    assert torch.any(logits.grad[..., tags.index("B-ORG")] != 0)


def test_transfer_trains_with_partial_labels(sources, root, tmp_path) -> None:
    from zhner.train.run import run

    cl, bio = sources
    cfg = load_config(
        root / "configs/tiny.yaml",
        ["training.epochs=1", f"data.transfer=[{{path: {cl}, format: cluener}}, {{path: {bio}, format: bio}}]"],
    )
    assert cfg.data.transfer[1].format == "bio"
    result = run(cfg, output=tmp_path / "m", progress=False)
    assert "transfer sentences" in result["dev_split"]
    assert result["train_sentences"] == 6 + 2 + 2


def test_transfer_weight_sets_the_rows_of_an_epoch(sources, root, tmp_path) -> None:
    """Four one-window corpus sentences at weight 0.5 count as two rows of an epoch."""
    from zhner.train.run import run

    cl, bio = sources
    rows = {}
    for weight in (1, 0.5):
        cfg = load_config(
            root / "configs/tiny.yaml",
            [
                "training.epochs=1",
                f"data.transfer=[{{path: {cl}, weight: {weight}}}, {{path: {bio}, format: bio, weight: {weight}}}]",
            ],
        )
        result = run(cfg, output=tmp_path / str(weight), progress=False)
        assert result["train_sentences"] == 10
        rows[weight] = result["rows_per_epoch"]
    assert rows[1] - rows[0.5] == 2


def test_transfer_config_rejects_unknown_source_keys(root) -> None:
    with pytest.raises(ConfigError, match="unknown key 'weigth'"):
        load_config(root / "configs/tiny.yaml", ["data.transfer=[{path: a, weigth: 2}]"])


def test_transfer_stage_checkpoint_is_a_base_that_keeps_its_head(sources, root, tmp_path) -> None:
    """The intermediate stage: corpora only, fp16 checkpoint; fine-tuning from it keeps the ORG/LOC head."""
    from safetensors.torch import load_file
    from zhner.annotate import SCHEMES
    from zhner.models.base import build_token_classifier
    from zhner.train.run import run

    cl, bio = sources
    stage = load_config(
        root / "configs/tiny.yaml",
        [
            "data.train=[]",
            "data.dev=[data/gold/article.jsonl]",
            "data.extra=[]",
            f"data.transfer=[{{path: {cl}, format: cluener}}, {{path: {bio}, format: bio}}]",
            "training.epochs=1",
            "training.save_fp16=true",
        ],
    )
    result = run(stage, output=tmp_path / "stage", progress=False)
    assert result["train_sentences"] == 4  # the corpora alone
    weights = load_file(tmp_path / "stage" / "model.safetensors")
    assert {t.dtype for t in weights.values()} == {torch.float16}

    labels = SCHEMES[stage.data.scheme].tags(LABELS)
    model, trained = build_token_classifier(str(tmp_path / "stage"), labels, stage.model.scratch, 0)
    assert trained and model.dtype == torch.float32
    head = {k: v for k, v in weights.items() if k.startswith("classifier.")}
    assert head and all(torch.equal(model.state_dict()[k], v.float()) for k, v in head.items())
