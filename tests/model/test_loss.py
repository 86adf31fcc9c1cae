"""Missing labels (-100) never count; the emotion weight scales its term; decay groups."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
import torch

from amm_core.model import (
    AMMBatch,
    build_model,
    masked_cross_entropy,
    multitask_loss,
    trainable_parameters,
    weight_decay_groups,
)
from tests.model.conftest import N_EMOTIONS, tiny_config


def test_masked_cross_entropy_by_hand() -> None:
    logits = torch.tensor([[0.0, 0.0], [math.log(3.0), 0.0], [5.0, -5.0]])
    labels = torch.tensor([0, 0, -100])
    # Row 0: ln 2; row 1: -ln(3/4); row 2 ignored -> mean over two rows.
    expected = (math.log(2.0) + math.log(4.0 / 3.0)) / 2
    assert masked_cross_entropy(logits, labels).item() == pytest.approx(expected)


def test_all_labels_missing_gives_zero_not_nan() -> None:
    logits = torch.randn(3, 2, requires_grad=True)
    loss = masked_cross_entropy(logits, torch.full((3,), -100))
    assert loss.item() == 0.0
    loss.backward()
    assert torch.count_nonzero(logits.grad) == 0


def test_multitask_loss_sums_with_emotion_weight() -> None:
    logits = {"depression": torch.zeros(2, 2), "emotion": torch.zeros(2, N_EMOTIONS)}
    labels = {"depression": torch.tensor([1, 0]), "emotion": torch.tensor([3, -100])}
    loss = multitask_loss(logits, labels, emotion_weight=0.5)
    assert loss.item() == pytest.approx(math.log(2) + 0.5 * math.log(N_EMOTIONS))
    only_dep = multitask_loss({"depression": logits["depression"]}, labels)
    assert only_dep.item() == pytest.approx(math.log(2))
    assert multitask_loss(logits, {}) is None


def test_a_batch_without_any_label_has_no_loss_to_step_on() -> None:
    logits = {"depression": torch.zeros(2, 2, requires_grad=True),
              "emotion": torch.zeros(2, N_EMOTIONS, requires_grad=True)}
    none = {"depression": torch.full((2,), -100), "emotion": torch.full((2,), -100)}
    assert multitask_loss(logits, none) is None
    one_task = multitask_loss(logits, {**none, "depression": torch.tensor([1, -100])})
    assert one_task.item() == pytest.approx(math.log(2))


def test_changing_a_masked_label_or_its_row_leaves_the_loss_unchanged(
    mixed_batch: AMMBatch,
) -> None:
    model = build_model(tiny_config()).eval()
    labels = {
        "depression": torch.tensor([0, 1, -100, 1]),
        "emotion": torch.tensor([2, 5, -100, -100]),
    }
    base = model(replace(mixed_batch, labels=labels)).loss
    # Row 2 is unlabelled for both tasks: neither its features nor its (masked) labels count.
    other_features = replace(mixed_batch, text=mixed_batch.text.clone(), labels=labels)
    other_features.text[2] = torch.randn_like(other_features.text[2])
    assert torch.equal(model(other_features).loss, base)
    # The loss is the mean over labelled rows only: computed from logits by hand.
    logits = model(mixed_batch).logits
    dep = torch.nn.functional.cross_entropy(
        logits["depression"][[0, 1, 3]], torch.tensor([0, 1, 1])
    )
    emo = torch.nn.functional.cross_entropy(logits["emotion"][[0, 1]], torch.tensor([2, 5]))
    assert torch.allclose(base, dep + emo)


def test_forward_passes_the_emotion_weight(mixed_batch: AMMBatch) -> None:
    model = build_model(tiny_config()).eval()
    out = model(mixed_batch)
    dep_only = multitask_loss(out.logits, {"depression": mixed_batch.labels["depression"]})
    weighted = model(mixed_batch, emotion_weight=0.0).loss
    assert torch.allclose(weighted, dep_only)


def test_weight_decay_groups_cover_every_trainable_parameter_once() -> None:
    model = build_model(tiny_config())
    decayed, plain = weight_decay_groups(model, 1e-5)
    assert decayed["weight_decay"] == 1e-5 and plain["weight_decay"] == 0.0
    ids = [id(p) for p in decayed["params"]] + [id(p) for p in plain["params"]]
    assert sorted(ids) == sorted(id(p) for p in trainable_parameters(model))
    assert all(p.ndim >= 2 for p in decayed["params"])
    assert all(p.ndim == 1 for p in plain["params"])
    torch.optim.Adam(weight_decay_groups(model, 1e-5), lr=1e-3)  # accepted by the optimiser
