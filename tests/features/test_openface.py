"""DAIC OpenFace frames -> up to n_clips clip means with a mask."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from amm_core.features.openface import clip_means, utterance_clips


def test_ten_frames_into_four_clips() -> None:
    frames = np.arange(10, dtype=float)[:, None] * np.array([1.0, 2.0])  # (10, 2)
    clips = clip_means(frames, n_clips=4)  # runs of 3, 3, 2, 2 frames
    assert clips.features.tolist() == [[1, 2], [4, 8], [6.5, 13], [8.5, 17]]
    assert clips.mask.tolist() == [True] * 4 and clips.n_valid == 4
    assert clips.features.dtype == torch.float32


def test_fewer_frames_than_clips_are_padded_and_masked() -> None:
    clips = clip_means(np.array([[1.0], [3.0]]), n_clips=4)
    assert clips.features.ravel().tolist() == [1, 3, 0, 0]
    assert clips.mask.tolist() == [True, True, False, False]


def test_no_frames_gives_an_all_false_mask() -> None:
    clips = clip_means(np.zeros((0, 38)), n_clips=8)
    assert clips.features.shape == (8, 38) and not clips.mask.any()


def test_dataframe_timestamp_is_dropped_and_missing_values_ignored() -> None:
    table = pd.DataFrame(
        {"timestamp": [0.0, 0.033, 0.067], "AU01_r": [1.0, np.nan, 3.0], "Tx": [np.inf, 5, 7]}
    )
    clips = clip_means(table, n_clips=1)
    assert clips.features.tolist() == [[2.0, 6.0]]


def _clnf(path: Path, names: list[str], value: Callable[[int], float]) -> None:
    header = ", ".join(["frame", "timestamp", "confidence", "success", *names])
    lines = [header]
    for k in range(90):  # 3 s at 30 fps
        cells = [str(k + 1), f"{k / 30:.6f}", "0.98", "1", *(f"{value(k)}" for _ in names)]
        lines.append(", ".join(cells))
    path.write_text("\n".join(lines) + "\n")


def test_utterance_clips_through_the_daic_reader(tmp_path: Path) -> None:
    from amm_core.data.openface import AU_COLUMNS, GAZE_COLUMNS, POSE_COLUMNS

    session = tmp_path / "300_P"
    session.mkdir()
    _clnf(session / "300_CLNF_AUs.txt", list(AU_COLUMNS), lambda k: k)
    _clnf(session / "300_CLNF_gaze.txt", list(GAZE_COLUMNS), lambda k: 0.5)
    _clnf(session / "300_CLNF_pose.txt", list(POSE_COLUMNS), lambda k: -1)
    clips = utterance_clips(session, "300", 1.0, 2.0, n_clips=4)  # frames k = 30..60 (31)
    assert clips.features.shape == (4, 38) and clips.n_valid == 4
    assert clips.features[:, 0].tolist() == [33.5, 41.5, 49.5, 57.0]  # runs 8, 8, 8, 7
    assert (
        clips.features[:, 20].tolist() == [0.5] * 4 and clips.features[:, 37].tolist() == [-1] * 4
    )
