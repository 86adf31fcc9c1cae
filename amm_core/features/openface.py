"""DAIC visual features: an utterance's OpenFace frames (frames, 38) averaged into up to
`n_clips` clips, zero-padded to a fixed (n_clips, 38) with a mask (MODEL.md section 1, choice)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch

NON_FEATURE_COLUMNS = ("frame", "timestamp", "confidence", "success")


@dataclass(frozen=True)
class ClipSequence:
    """`features` (n_clips, d) float32, zero rows where `mask` (n_clips,) bool is False."""

    features: torch.Tensor
    mask: torch.Tensor

    @property
    def n_valid(self) -> int:
        return int(self.mask.sum())


def frame_matrix(frames: pd.DataFrame | np.ndarray) -> np.ndarray:
    """A frame table -> float64 (frames, d): the feature columns in the table's order.

    DataFrame: every column except frame / timestamp / confidence / success; the reader
    `amm_core.data.openface.utterance_frames` gives timestamp + the 38 DAIC features.
    """
    if isinstance(frames, pd.DataFrame):
        columns = [c for c in frames.columns if str(c).strip() not in NON_FEATURE_COLUMNS]
        frames = frames[columns].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=np.float64)
    matrix = np.asarray(frames, dtype=np.float64)
    if matrix.ndim != 2:
        raise ValueError(f"OpenFace frames must be a (frames, features) table, got {matrix.shape}")
    return matrix


def clip_means(frames: pd.DataFrame | np.ndarray, n_clips: int = 8) -> ClipSequence:
    """Split the frames into min(n_frames, n_clips) contiguous near-equal runs and average each.

    Missing values (NaN) are ignored inside a clip; a feature missing in a whole clip is 0. No
    frames at all (a span past the end of the video) gives an all-False mask.
    """
    matrix = frame_matrix(frames)
    n_frames, width = matrix.shape
    features = np.zeros((n_clips, width), dtype=np.float32)
    mask = np.zeros(n_clips, dtype=bool)
    if n_frames == 0:
        return ClipSequence(torch.from_numpy(features), torch.from_numpy(mask))
    finite = np.where(np.isfinite(matrix), matrix, np.nan)
    for clip, run in enumerate(np.array_split(finite, min(n_frames, n_clips))):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # "mean of empty slice" -> NaN -> 0
            features[clip] = np.nan_to_num(np.nanmean(run, axis=0), nan=0.0)
        mask[clip] = True
    return ClipSequence(torch.from_numpy(features), torch.from_numpy(mask))


def utterance_clips(
    session_path: str | Path, session_id: str, start: float, stop: float, n_clips: int = 8
) -> ClipSequence:
    """Read the utterance's frames with the DAIC reader, then `clip_means`."""
    from amm_core.data.openface import utterance_frames  # lazy: the data layer is optional here

    return clip_means(utterance_frames(Path(session_path), session_id, start, stop), n_clips)
