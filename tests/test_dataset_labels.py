"""What training reads from a sample: its label indices and the visual normaliser's statistics."""

from __future__ import annotations

import torch

from amm_core.data.records import Sample
from amm_core.dataset import OPENFACE_DIM, FeatureItem, VisualNormaliser, label_indices
from amm_core.evaluate import DEPRESSION_LABELS

LABEL_SETS = {"emotion": ["neutral", "happiness", "fear"]}


def test_label_indices_keep_the_label_direction() -> None:
    depressed = Sample("train:1", "train", "t", depression_label=1, emotion_label="fear")
    healthy = Sample("train:2", "train", "t", depression_label=0, emotion_label="neutral")
    unknown = Sample("train:3", "train", "t", depression_label=None, emotion_label="joy")
    assert DEPRESSION_LABELS[label_indices(depressed, LABEL_SETS)["depression"]] == "depressed"
    assert label_indices(depressed, LABEL_SETS)["emotion"] == 2
    assert label_indices(healthy, LABEL_SETS) == {"depression": 0, "emotion": 0}
    assert label_indices(unknown, LABEL_SETS) == {"depression": -100, "emotion": -100}


def test_the_openface_normaliser_ignores_masked_steps() -> None:
    """Mean and std come from the valid steps only: a padded / masked step of huge values
    must not shift them (here two valid steps 1 and 3 per feature, one masked 1000)."""
    visual = torch.stack([torch.full((OPENFACE_DIM,), v) for v in (1.0, 3.0, 1000.0)])
    item = FeatureItem(text=torch.zeros(1, 4), tokens=["w"], gender="unknown", labels={},
                       visual=visual, visual_mask=torch.tensor([True, True, False]))
    normaliser = VisualNormaliser.fit([item], OPENFACE_DIM)
    assert torch.allclose(normaliser.mean, torch.full((OPENFACE_DIM,), 2.0))
    assert torch.allclose(normaliser.std, torch.full((OPENFACE_DIM,), 2.0 ** 0.5))  # of 1, 3
