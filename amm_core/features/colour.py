"""Colour knowledge (MODEL.md section 2): an OpenCV HSV histogram, 16 bins per channel, 48-d."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

# OpenCV's 8-bit HSV: H in [0, 180), S and V in [0, 256).
CHANNEL_RANGES = ((0, 180), (0, 256), (0, 256))


def hsv_histogram(rgb: np.ndarray, bins: int = 16) -> np.ndarray:
    """uint8 RGB (H, W, 3) -> float32 (3 * bins,): H, S then V histograms, each summing to 1."""
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError(f"hsv_histogram needs uint8 (H, W, 3) RGB, got {rgb.dtype} {rgb.shape}")
    if rgb.shape[0] == 0 or rgb.shape[1] == 0:
        raise ValueError("hsv_histogram got an image with no pixels")
    hsv = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2HSV)
    parts = []
    for channel, (low, high) in enumerate(CHANNEL_RANGES):
        counts = cv2.calcHist([hsv], [channel], None, [bins], [low, high]).ravel()
        parts.append(counts / counts.sum())
    return np.concatenate(parts).astype(np.float32)


def mean_hsv_histogram(frames: Sequence[np.ndarray] | np.ndarray, bins: int = 16) -> np.ndarray:
    """Video: the mean of the frames' histograms (each channel still sums to 1)."""
    if len(frames) == 0:
        raise ValueError("mean_hsv_histogram got no frames")
    return np.mean([hsv_histogram(frame, bins) for frame in frames], axis=0).astype(np.float32)
