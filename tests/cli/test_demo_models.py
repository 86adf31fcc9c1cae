"""On the embedded demo, the full AMM beats the linear probe on the same frozen features.

The demo MGID corpus mixes masking posts into otherwise additive labels (demo_mgid.MASKED_SHARE):
caption and picture show opposite moods and the post is depressed, while the same moods shown
congruently are not. A linear probe can only add the two modalities' evidence; the AMM reads
them together. Trained through `amm train` on the session's demo workspace (its features are
already cached), seed 0, the epochs of the README's experiment figures.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from amm_core.data import demo_ceiling as dc
from tests.cli.helpers import amm_json

pytestmark = pytest.mark.slow


def _train(capsys, home: Path, variant: str) -> dict:
    code, out, err = amm_json(capsys, "train", "--dataset", "demo-mgid", "--variant", variant,
                              "--epochs", "30", "--seed", "0", "--home", str(home))
    assert code == 0, err
    return {split: out["metrics"][split]["depression"]["micro_f1"] for split in ("dev", "test")}


def test_the_amm_beats_the_linear_probe_on_the_demo(demo_home, demo_copy, capsys):
    shutil.copytree(demo_home / "cache", demo_copy / "cache")  # the demo's features, cached
    probe = _train(capsys, demo_copy, "linear")
    amm = _train(capsys, demo_copy, "amm")
    assert amm["dev"] > probe["dev"], (amm, probe)
    assert amm["test"] - probe["test"] >= 0.04, (amm, probe)
    # It goes past what summing the modalities' evidence can reach, and not past the ceiling.
    figures = dc.ceiling(dc.demo_posts("test"))
    assert figures["additive"] < 100 * amm["test"] <= figures["caption + picture"] + 2.0
