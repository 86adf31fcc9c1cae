"""A run stopped after some epochs and resumed from `last.pt` goes on as if never stopped."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import torch

from amm_core.checkpoint import load_checkpoint
from amm_core.train import train_model
from tests.test_batches import LABELS, _config, _genders, _items


def _train(run_dir: Path, epochs: int, resume: bool = False, patience: int | None = None):
    items = _items(60, 6)
    config = _config(epochs=epochs)
    if patience is not None:
        config = replace(config, train=replace(config.train, patience=patience))
    assert config.model.dropout > 0  # dropout's random stream must be resumed too
    return train_model(items[:40], items[40:], config, LABELS, _genders(), run_dir,
                       resume=resume)


def test_a_resumed_run_ends_where_an_uninterrupted_one_does(tmp_path: Path) -> None:
    straight = _train(tmp_path / "straight", 4)
    _train(tmp_path / "stopped", 2)
    resumed = _train(tmp_path / "stopped", 4, resume=True)
    assert [r["epoch"] for r in resumed.history] == [1, 2, 3, 4]
    assert resumed.history == straight.history
    a = load_checkpoint(tmp_path / "straight" / "last.pt").state_dict
    b = load_checkpoint(tmp_path / "stopped" / "last.pt").state_dict
    assert all(torch.equal(a[name], b[name]) for name in a)
    fresh = _train(tmp_path / "fresh", 2, resume=True)  # nothing to resume: starts at epoch 1
    assert [r["epoch"] for r in fresh.history] == [1, 2]


@pytest.mark.parametrize(("section", "key", "value"), [
    ("model", "d_model", 32),  # another shape
    ("model", "head_norm", False),  # same shapes, another network
    ("features", "zone_mode", "crops"),  # same network, other features
])
def test_a_checkpoint_of_another_run_is_refused_in_one_line(tmp_path: Path, section, key,
                                                           value) -> None:
    _train(tmp_path / "run", 1)
    before = (tmp_path / "run" / "last.pt").read_bytes()
    items = _items(60, 6)
    config = _config(epochs=2)
    assert getattr(getattr(config, section), key) != value
    other = replace(config, **{section: replace(getattr(config, section), **{key: value})})
    with pytest.raises(ValueError, match=rf"cannot resume from .*last\.pt: it was trained with "
                                         rf"{section}\.{key} = .*, not {value!r}") as caught:
        train_model(items[:40], items[40:], other, LABELS, _genders(), tmp_path / "run",
                    resume=True)
    assert "\n" not in str(caught.value)
    assert (tmp_path / "run" / "last.pt").read_bytes() == before

def test_a_resumed_run_keeps_its_best_epoch_and_early_stopping_count(tmp_path: Path) -> None:
    """Straight, this run's best epoch comes before its last and patience 2 stops it early;
    stopped after 6 epochs and resumed, it must pick the same best.pt and stop at the same
    epoch (the count of epochs since the best goes on), and resuming it again trains nothing."""
    straight = _train(tmp_path / "straight", 12, patience=2)
    assert straight.stopped_early and straight.best_epoch < straight.epochs_run < 12
    first = _train(tmp_path / "stopped", min(6, straight.epochs_run - 1), patience=2)
    assert not first.stopped_early
    resumed = _train(tmp_path / "stopped", 12, resume=True, patience=2)
    assert (resumed.best_epoch, resumed.epochs_run) == (straight.best_epoch,
                                                        straight.epochs_run)
    assert resumed.stopped_early and resumed.history == straight.history
    for name in ("best.pt", "last.pt"):
        a = load_checkpoint(tmp_path / "straight" / name).state_dict
        b = load_checkpoint(tmp_path / "stopped" / name).state_dict
        assert all(torch.equal(a[key], b[key]) for key in a), name
    again = _train(tmp_path / "stopped", 12, resume=True, patience=2)
    assert again.history == straight.history and again.stopped_early
    longer = _train(tmp_path / "stopped", 12, resume=True, patience=20)  # more patience: on
    assert len(longer.history) > straight.epochs_run
