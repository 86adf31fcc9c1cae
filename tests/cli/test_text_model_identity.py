"""A run's text model is pinned by what it is, not by how its path was typed: a relative folder
means the same from any working folder, and a folder whose weights changed since training (or
another model on resume) is refused in one line instead of giving another model's features."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch

from tests.cli.helpers import amm_json, import_small_mgid, row_counts
from tests.text_models import tiny_bert

TEXT = "nobody ever calls me back these days"


@pytest.fixture
def rel_run(tmp_path: Path, monkeypatch, capsys) -> dict:
    """`rel` trained with `--text-model tm` typed in folder A (A/tm and B/tm differ)."""
    home = import_small_mgid(tmp_path, seed=4)
    capsys.readouterr()  # the import's report
    tiny_bert(tmp_path / "A" / "tm", seed=1)
    tiny_bert(tmp_path / "B" / "tm", seed=2)
    monkeypatch.chdir(tmp_path / "A")
    code, out, err = amm_json(capsys, "train", "--dataset", "small", "--modalities", "text",
                              "--epochs", "1", "--name", "rel", "--text-model", "tm",
                              "--home", str(home))
    assert code == 0, err
    return {"home": home, "root": tmp_path, "run": out}


def _predict(capsys, home: Path) -> tuple[int, dict | None, str]:
    return amm_json(capsys, "predict", "--run", "rel", "--text", TEXT, "--home", str(home))


def test_a_relative_folder_means_the_same_model_from_any_folder(rel_run, monkeypatch, capsys):
    home, root = rel_run["home"], rel_run["root"]
    code, from_a, err = _predict(capsys, home)
    assert code == 0, err
    monkeypatch.chdir(root / "B")  # another `tm` here: it must not be used, nor its features
    code, from_b, err = _predict(capsys, home)
    assert code == 0, err
    shutil.rmtree(home / "cache")
    code, uncached, err = _predict(capsys, home)
    assert code == 0, err
    for result in (from_b, uncached):
        assert result["predictions"] == from_a["predictions"]


def test_a_model_folder_changed_since_training_is_refused(rel_run, capsys):
    home, root = rel_run["home"], rel_run["root"]
    tiny_bert(root / "A" / "tm", seed=3)  # same width, other weights
    capsys.readouterr()
    before = row_counts(home)
    code, out, err = _predict(capsys, home)
    assert code != 0 and out is None
    assert "no longer the same model" in err and "tm" in err
    assert len(err.strip().splitlines()) == 1
    code, out, err = amm_json(capsys, "evaluate", "--run", "rel", "--home", str(home))
    assert code != 0 and "no longer the same model" in err
    assert row_counts(home) == before


def test_resuming_on_another_text_model_is_refused(rel_run, capsys):
    home, root = rel_run["home"], rel_run["root"]
    last = home / "runs" / "rel" / "last.pt"
    before_bytes, before = last.read_bytes(), row_counts(home)
    code, out, err = amm_json(capsys, "train", "--dataset", "small", "--modalities", "text",
                              "--epochs", "2", "--name", "rel", "--resume", "--text-model",
                              str(root / "B" / "tm"), "--home", str(home))
    assert code != 0 and out is None
    assert "cannot resume" in err and "another text model" in err, err
    assert len(err.strip().splitlines()) == 1
    assert last.read_bytes() == before_bytes
    assert row_counts(home) == before


def test_a_checkpoint_from_before_identities_is_still_checked_for_width(rel_run, capsys):
    """Checkpoints written before text_identity existed cannot tell a changed folder; a model
    of another width is still refused in one line."""
    home, root = rel_run["home"], rel_run["root"]
    best = home / "runs" / "rel" / "best.pt"
    payload = torch.load(best, weights_only=True)
    del payload["encoders"]["text_identity"]
    torch.save(payload, best)
    tiny_bert(root / "A" / "tm", seed=3, width=48)
    capsys.readouterr()
    code, out, err = _predict(capsys, home)
    assert code != 0 and out is None
    assert "48-wide" in err and "32-wide" in err and len(err.strip().splitlines()) == 1
