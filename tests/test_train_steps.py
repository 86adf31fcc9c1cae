"""Training steps only on batches with something to learn from."""

from __future__ import annotations

from pathlib import Path

import torch

from amm_core.checkpoint import load_checkpoint
from amm_core.train import train_model
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
