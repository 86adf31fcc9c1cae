"""Training steps only on batches with something to learn from."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from amm_core.checkpoint import load_checkpoint
from amm_core.dataset import FeatureItem
from amm_core.train import micro_f1, train_model
from tests.test_batches import LABELS, _config, _genders, _items


def test_batches_without_labels_leave_the_weights_alone(tmp_path: Path) -> None:
    """A DAIC emotion-only run has batches with no gold label: no Adam step (momentum, L2) on
    them. Here every training label is missing, so no epoch may change a weight."""
    items = _items(60, 6)
    for item in items[:40]:
        item.labels = {task: -100 for task in item.labels}
    config = _config(epochs=1)
    assert config.train.weight_decay > 0  # a step on nothing would move the weights
    runs = {}
    for epochs in (1, 3):
        config = _config(epochs=epochs)
        result = train_model(items[:40], items[40:], config, LABELS, _genders(),
                             tmp_path / str(epochs))
        assert [r["loss"] for r in result.history] == [0.0] * epochs
        runs[epochs] = load_checkpoint(tmp_path / str(epochs) / "last.pt").state_dict
    assert all(torch.equal(runs[1][name], runs[3][name]) for name in runs[1])


def test_the_emotion_weight_reaches_the_training_loss(tmp_path: Path) -> None:
    """Epoch 1 sees the same batches from the same weights: with the emotion term weighted 0
    its loss is the depression term alone, ~ln 6 (the untrained emotion CE) lower."""
    items = _items(60, 6)
    losses = {}
    for weight in (0.0, 1.0):
        config = _config(epochs=1)
        config = replace(config, train=replace(config.train, emotion_weight=weight))
        result = train_model(items[:40], items[40:], config, LABELS, _genders(),
                             tmp_path / str(weight))
        losses[weight] = result.history[0]["loss"]
    assert losses[1.0] - losses[0.0] > 1.0


def test_dev_micro_f1_counts_labelled_items_only() -> None:
    def item(label: int) -> FeatureItem:
        return FeatureItem(text=torch.zeros(1, 4), tokens=["w"], gender="unknown",
                           labels={"depression": label})

    probs = np.array([[0.9, 0.1], [0.2, 0.8], [0.3, 0.7], [0.6, 0.4]])
    items = [item(0), item(1), item(-100), item(1)]  # right, right, unlabelled, wrong
    assert micro_f1(probs, items, "depression") == 2 / 3


def test_the_best_epoch_is_the_best_dev_score_then_the_lower_dev_loss(tmp_path: Path,
                                                                      monkeypatch) -> None:
    """Small dev splits tie often: among equal dev micro-F1, the epoch with the lower dev loss
    over all tasks is kept; a higher score always wins."""
    import amm_core.train as train
    from amm_core.dataset import VisualNormaliser

    def item(label: int) -> FeatureItem:
        return FeatureItem(text=torch.zeros(1, 4), tokens=["w"], gender="unknown",
                           labels={"depression": label})

    dev = [item(1), item(0)]
    # P(depressed) of the two dev items per epoch; the second is always called depressed (wrong)
    # until epoch 4: score 0.5 at dev loss 0.71, 0.5 at 0.45 (better), 0.5 at 0.76, then 1.0.
    epochs = [(0.6, 0.6), (0.9, 0.55), (0.55, 0.6), (0.6, 0.4)]
    plan = iter({"depression": np.array([[1 - a, a], [1 - b, b]])} for a, b in epochs)
    monkeypatch.setattr(train, "predict_split", lambda *args, **kwargs: next(plan))
    monkeypatch.setattr(train, "_save", lambda path, **kwargs: path.name)
    config = _config(epochs=4)
    state = train._State(best_score=-1.0, best_loss=float("inf"), best_epoch=0, start_epoch=1,
                         history=[])
    keeper = train._Keeper(config, LABELS, VisualNormaliser.fit([], 6), state, tmp_path, None,
                           dev, None, torch.Generator())
    best = []
    for epoch in range(1, 5):
        keeper.end_epoch(torch.nn.Linear(1, 1), None, epoch, 1.0)
        best.append(state.best_epoch)
    assert [r["dev_depression_micro_f1"] for r in state.history] == [0.5, 0.5, 0.5, 1.0]
    assert best == [1, 2, 2, 4]
