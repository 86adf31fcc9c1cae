"""A run stopped after some epochs and resumed from `last.pt` goes on as if never stopped."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from amm_core.checkpoint import load_checkpoint
from amm_core.train import train_model
from tests.test_batches import LABELS, _config, _genders, _items


def _train(run_dir: Path, epochs: int, resume: bool = False):
    items = _items(60, 6)
    config = _config(epochs=epochs)
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


def test_a_checkpoint_of_another_model_is_refused_in_one_line(tmp_path: Path) -> None:
    _train(tmp_path / "run", 1)
    items = _items(60, 6)
    wider = _config(epochs=2)
    wider = type(wider)(**{**vars(wider), "model": type(wider.model)(
        **{**vars(wider.model), "d_model": 32})})
    with pytest.raises(ValueError, match=r"cannot resume from .*last\.pt: it holds another "
                                         r"model's weights") as caught:
        train_model(items[:40], items[40:], wider, LABELS, _genders(), tmp_path / "run",
                    resume=True)
    assert "\n" not in str(caught.value)
