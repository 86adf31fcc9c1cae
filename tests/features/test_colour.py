"""The 48-d HSV colour histogram, checked against hand-counted images."""

from __future__ import annotations

import numpy as np
import pytest

from amm_core.features.colour import hsv_histogram, mean_hsv_histogram


def solid(rgb: tuple[int, int, int], height: int = 4, width: int = 6) -> np.ndarray:
    return np.tile(np.array(rgb, np.uint8), (height, width, 1))


def test_pure_blue_lands_in_one_bin_per_channel() -> None:
    histogram = hsv_histogram(solid((0, 0, 255)))
    assert histogram.shape == (48,) and histogram.dtype == np.float32
    hue, saturation, value = histogram.reshape(3, 16)
    # OpenCV hue of blue is 120 of 180 -> bin 120 // 11.25 = 10; S = V = 255 -> bin 15.
    assert hue[10] == 1.0 and hue.sum() == 1.0
    assert saturation[15] == 1.0 and value[15] == 1.0


def test_half_red_half_black() -> None:
    image = np.concatenate([solid((255, 0, 0)), solid((0, 0, 0))], axis=0)  # 24 + 24 pixels
    hue, saturation, value = hsv_histogram(image).reshape(3, 16)
    assert hue[0] == 1.0  # red and black both have hue 0
    assert saturation[0] == 0.5 and saturation[15] == 0.5
    assert value[0] == 0.5 and value[15] == 0.5


def test_each_channel_is_l1_normalised_and_bins_are_configurable() -> None:
    noise = np.random.default_rng(0).integers(0, 255, (30, 40, 3), dtype=np.uint8)
    histogram = hsv_histogram(noise, bins=8)
    assert histogram.shape == (24,)
    assert np.allclose(histogram.reshape(3, 8).sum(axis=1), 1.0)


def test_video_colour_is_the_mean_over_frames() -> None:
    frames = np.stack([solid((0, 0, 255)), solid((0, 0, 0))])
    hue, saturation, value = mean_hsv_histogram(frames).reshape(3, 16)
    assert hue[10] == 0.5 and hue[0] == 0.5
    assert saturation[15] == 0.5 and value[0] == 0.5


def test_bad_arrays_are_refused() -> None:
    with pytest.raises(ValueError, match=r"needs uint8 \(H, W, 3\) RGB, got float64"):
        hsv_histogram(np.zeros((4, 4, 3)))
    with pytest.raises(ValueError, match="no pixels"):
        hsv_histogram(np.zeros((0, 4, 3), np.uint8))
    with pytest.raises(ValueError, match="got no frames"):
        mean_hsv_histogram([])
