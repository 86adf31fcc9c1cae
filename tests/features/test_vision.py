"""EfficientNet-Lite0: the explicit key map, strict loading, and real ImageNet weights."""

from __future__ import annotations

from pathlib import Path

import matplotlib.cbook
import numpy as np
import pytest
import torch
from timm.data import ImageNetInfo

from amm_core.features.image import read_image_file
from amm_core.features.vision import (
    FEATURE_DIM,
    VisionEncoder,
    lite0_weights_path,
    map_lite0_keys,
    to_input,
)

MILITARY_UNIFORM = 652


def test_key_map_renames_every_packaged_weight_to_a_timm_name() -> None:
    state = torch.load(lite0_weights_path(), map_location="cpu", weights_only=True)
    mapped = map_lite0_keys(state)
    assert len(mapped) == len(state) == 296
    assert mapped["conv_stem.weight"] is state["_conv_stem.weight"]
    assert mapped["bn2.running_var"] is state["_bn1.running_var"]  # head BN
    assert mapped["classifier.weight"] is state["_fc.weight"]
    assert mapped["blocks.0.0.conv_pw.weight"] is state["_blocks.0._project_conv.weight"]
    assert mapped["blocks.1.1.conv_pwl.weight"] is state["_blocks.2._project_conv.weight"]
    assert mapped["blocks.5.3.bn1.weight"] is state["_blocks.14._bn0.weight"]  # 1+2+2+3+3+3
    assert mapped["blocks.6.0.conv_dw.weight"] is state["_blocks.15._depthwise_conv.weight"]


def test_key_map_rejects_an_unknown_key() -> None:
    with pytest.raises(ValueError, match="unexpected key '_blocks.0._expand_conv.weight'"):
        map_lite0_keys({"_blocks.0._expand_conv.weight": torch.zeros(1)})
    with pytest.raises(ValueError, match="unexpected key '_head.weight'"):
        map_lite0_keys({"_head.weight": torch.zeros(1)})


def test_normalisation_is_the_packages_not_imagenets() -> None:
    pixels = np.array([[[0, 127, 255]]], dtype=np.uint8)  # one RGB pixel
    x = to_input(pixels)
    assert x.shape == (1, 3, 1, 1)
    expected = (np.array([0, 127, 255]) / 255.0 - 0.498) / 0.502
    assert np.allclose(x.ravel().numpy(), expected, atol=1e-6)


def test_grace_hopper_is_a_military_uniform(vision_encoder: VisionEncoder) -> None:
    """The classic check that the weights and the input scaling are right (top-1 class 652)."""
    photo = Path(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))
    rgb = np.asarray(read_image_file(photo).resize((224, 224), 3))  # 3 = bicubic
    probabilities = vision_encoder.logits(rgb).softmax(dim=-1)[0]
    top = int(probabilities.argmax())
    assert top == MILITARY_UNIFORM
    assert ImageNetInfo().index_to_description(top) == "military uniform"
    assert float(probabilities[top]) > 0.3  # measured 0.46; a broken map gives ~0.001


def test_feature_map_and_pooled_shapes_at_480_by_360(vision_encoder: VisionEncoder) -> None:
    images = np.zeros((2, 360, 480, 3), np.uint8)
    fmap = vision_encoder.feature_map(images)
    assert fmap.shape == (2, FEATURE_DIM, 12, 15)  # TF "same" padding: ceil(360/32), 480/32
    pooled = vision_encoder.pooled(images)
    assert pooled.shape == (2, FEATURE_DIM)
    assert torch.allclose(pooled, fmap.mean(dim=(2, 3)))
    assert not any(p.requires_grad for p in vision_encoder.model.parameters())
    assert not vision_encoder.model.training
