"""The image fast path: folded BatchNorm, channels_last, TorchScript, the JPEG DCT shortcut and
the pipelined featurizer give the reference network's features (up to float rounding)."""

from __future__ import annotations

from pathlib import Path

import matplotlib.cbook
import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

from amm_core.config import FeatureConfig
from amm_core.features.cache import FeatureCache
from amm_core.features.extract import ImageFeaturizer
from amm_core.features.image import decode_resized, read_image, resize_rgb, zone_features
from amm_core.features.vision import VisionEncoder, build_efficientnet_lite0, fold_batchnorm
from tests.features.media_fixtures import gradient, image_bytes, jpeg_with_orientation

GRACE_HOPPER = Path(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))


@pytest.fixture(scope="module")
def reference() -> nn.Module:
    """The network as loaded, BatchNorm and all: what the fast path must reproduce."""
    return build_efficientnet_lite0()


@pytest.fixture(scope="module")
def photos() -> np.ndarray:
    """Two real-looking inputs: a photo and a gradient, at the fast path's 224 x 168."""
    photo = resize_rgb(read_image(GRACE_HOPPER.read_bytes(), "grace_hopper.jpg"), 224, 168)
    return np.stack([photo, resize_rgb(gradient(300, 200), 224, 168)])


def _relative_gap(found: torch.Tensor, expected: torch.Tensor) -> float:
    return float((found - expected).abs().max() / expected.abs().max())


def test_folded_network_has_no_batchnorm_and_stays_in_eval(reference: nn.Module) -> None:
    folded = fold_batchnorm(reference)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in folded.modules())
    assert any(isinstance(m, nn.BatchNorm2d) for m in reference.modules())  # a copy: untouched
    assert not folded.training and folded.conv_stem.bias is not None


@pytest.mark.parametrize("size", [(168, 224), (90, 480), (45, 61)])  # odd sizes: TF padding
def test_fast_and_eager_paths_match_the_unfused_network(
    vision_encoder: VisionEncoder, reference: nn.Module, size: tuple[int, int]
) -> None:
    pixels = np.random.default_rng(3).integers(0, 256, (2, *size, 3), dtype=np.uint8)
    x = vision_encoder.input(pixels)
    assert x.is_contiguous(memory_format=torch.channels_last)
    with torch.inference_mode():
        expected = reference.forward_features(x.contiguous())
        eager = vision_encoder.model.forward_features(x)
        fast = vision_encoder.fast.forward_features(x)
    assert fast.shape == expected.shape
    assert _relative_gap(eager, expected) < 1e-4 and _relative_gap(fast, expected) < 1e-4


def test_zone_features_and_logits_match_the_unfused_network_on_photos(
    vision_encoder: VisionEncoder, reference: nn.Module, photos: np.ndarray
) -> None:
    unfused = VisionEncoder(reference, torch.device("cpu"), trace=False)
    for mode in ("rows", "crops"):
        expected = zone_features(unfused, photos, 4, mode)
        assert _relative_gap(zone_features(vision_encoder, photos, 4, mode), expected) < 1e-4
    logits = vision_encoder.logits(photos)
    assert _relative_gap(logits, unfused.logits(photos)) < 1e-4
    assert int(logits[0].argmax()) == 652  # still a military uniform at 224 x 168


def _jpeg(width: int, height: int) -> bytes:
    rng = np.random.default_rng(width)
    noise = rng.integers(0, 256, (height // 8, width // 8, 3), dtype=np.uint8)
    return image_bytes(Image.fromarray(noise).resize((width, height)), "JPEG", quality=90)


def test_a_large_jpeg_decodes_at_a_reduced_scale_never_below_the_target() -> None:
    data = _jpeg(1000, 750)
    assert read_image(data, "big.jpg").size == (1000, 750)
    assert read_image(data, "big.jpg", reduce_to=(224, 168)).size == (250, 188)  # 1/4 scale
    assert read_image(data, "big.jpg", reduce_to=(480, 360)).size == (500, 375)  # 1/2 scale
    assert read_image(_jpeg(400, 300), "small.jpg", reduce_to=(224, 168)).size == (400, 300)
    png = image_bytes(gradient(1000, 750), "PNG")
    assert read_image(png, "big.png", reduce_to=(224, 168)).size == (1000, 750)  # JPEG only
    assert decode_resized(data, "big.jpg", (224, 168)).shape == (168, 224, 3)


def test_the_reduced_decode_respects_exif_orientation() -> None:
    wide = gradient(960, 640)  # stored landscape; orientation 6 shows it portrait
    upright = read_image(jpeg_with_orientation(wide, 6), "phone.jpg", reduce_to=(224, 168))
    assert upright.size == (320, 480)  # 1/2 scale: 1/4 would give a 160-pixel width
    rgb = decode_resized(jpeg_with_orientation(wide, 6), "phone.jpg", (224, 168))
    full = resize_rgb(read_image(jpeg_with_orientation(wide, 6), "phone.jpg"), 224, 168)
    assert rgb.shape == (168, 224, 3)
    assert np.abs(rgb.astype(int) - full.astype(int)).mean() < 3  # same picture, same way up


def test_reduced_decode_keeps_the_features_of_the_full_decode(
    vision_encoder: VisionEncoder,
) -> None:
    data = GRACE_HOPPER.read_bytes()  # 512 x 600: decodes at 1/2 for the 224 x 168 input
    assert read_image(data, "g.jpg", reduce_to=(224, 168)).size == (256, 300)
    full = resize_rgb(read_image(data, "g.jpg"), 224, 168)
    fast = decode_resized(data, "g.jpg", (224, 168))
    a, b = (zone_features(vision_encoder, rgb[None], 4, "rows")[0] for rgb in (full, fast))
    assert float(torch.nn.functional.cosine_similarity(a, b, dim=1).min()) > 0.95


def test_pipelined_batches_equal_one_by_one_and_report_errors_in_input_order(
    vision_encoder: VisionEncoder,
) -> None:
    items = [(f"{i}.png", image_bytes(gradient(60 + 7 * i, 40 + i), "PNG")) for i in range(5)]
    noise = np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)
    cut = image_bytes(Image.fromarray(noise), "JPEG")
    items.insert(1, ("cut.jpg", cut[: len(cut) // 2]))  # fails when decoded (batch 1)
    items.insert(4, ("empty.png", b""))  # fails at the header check (batch 2)
    config = FeatureConfig(rows_width=96, rows_height=64)
    batched = ImageFeaturizer(config, FeatureCache(None), batch_size=3, encoder=vision_encoder)
    results = batched(items, skip_errors=True)
    assert [r is None for r in results] == [False, True, False, False, True, False, False]
    assert batched.errors[0].startswith("cut.jpg: truncated or corrupt image data")
    assert batched.errors[1] == "empty.png: empty file (0 bytes)"
    single = ImageFeaturizer(config, FeatureCache(None), batch_size=1, encoder=vision_encoder)
    for item, found in zip(items, results, strict=True):
        if found is not None:
            [alone] = single([item])
            assert alone is not None and torch.allclose(found.steps, alone.steps, atol=1e-4)
            assert torch.equal(found.colour, alone.colour)


def test_pixel_gradients_through_the_fast_network_match_the_unfused_one(
    vision_encoder: VisionEncoder, reference: nn.Module
) -> None:
    """Captum's pixel attributions differentiate `encoder.model`: same gradients as the original."""
    pixels = torch.rand(1, 3, 45, 61) * 4 - 2
    grads = []
    for model in (vision_encoder.model, reference):
        x = pixels.clone().requires_grad_(True)
        model.forward_features(x).square().mean().backward()
        grads.append(x.grad)
    assert _relative_gap(grads[0], grads[1]) < 1e-3
