"""OpenFace reading per session and per utterance, from folders and zips.

Session 300's CLNF files cover 0-8 s (frames k = 0..240, t = k/30); frames 200, 201, 205 failed in
the AU file and frame 203 in the pose file. Session 301 (flat zip) covers 0-6 s with no failures.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from amm_core.data.openface import (
    AU_COLUMNS,
    GAZE_COLUMNS,
    OPENFACE_FEATURES,
    POSE_COLUMNS,
    read_openface,
    utterance_frames,
)
from amm_core.data.records import ImportFailure
from tests.data.daic_fixtures import FPS, write_daic_corpus, write_folder

LEADING = ["frame", "timestamp", "confidence", "success"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_daic_corpus(tmp_path_factory.mktemp("openface") / "daic")


def test_feature_constants_follow_the_data_formats() -> None:
    assert len(AU_COLUMNS) == 20 and AU_COLUMNS[0] == "AU01_r" and AU_COLUMNS[-1] == "AU45_c"
    assert AU_COLUMNS[13:15] == ("AU26_r", "AU04_c")
    assert GAZE_COLUMNS == ("x_0", "y_0", "z_0", "x_1", "y_1", "z_1",
                            "x_h0", "y_h0", "z_h0", "x_h1", "y_h1", "z_h1")  # fmt: skip
    assert POSE_COLUMNS == ("Tx", "Ty", "Tz", "Rx", "Ry", "Rz")
    assert OPENFACE_FEATURES == AU_COLUMNS + GAZE_COLUMNS + POSE_COLUMNS
    assert len(OPENFACE_FEATURES) == 38


def test_read_openface_drops_failed_frames(corpus: Path) -> None:
    aus = read_openface(corpus / "300_P", "300", "AUs")
    assert list(aus.columns) == LEADING + list(AU_COLUMNS)
    assert len(aus) == 241 - 3
    assert set(aus["success"]) == {1}
    assert not {201, 202, 206} & set(aus["frame"])  # 1-based frame numbers of k 200, 201, 205
    pose = read_openface(corpus / "300_P", "300", "pose")
    assert list(pose.columns) == LEADING + list(POSE_COLUMNS)
    assert len(pose) == 240
    assert read_openface(corpus / "300_P", "300", "gaze")["x_0"].iloc[10] == pytest.approx(0.1)


def test_read_openface_from_zips(corpus: Path) -> None:
    assert len(read_openface(corpus / "301_P.zip", "301", "AUs")) == 181
    gaze = read_openface(corpus / "302_P.zip", "302", "gaze")  # files inside a 302_P/ folder
    assert list(gaze.columns) == LEADING + list(GAZE_COLUMNS)
    assert len(gaze) == 61


def test_utterance_frames_picks_the_span_and_merges_the_files(corpus: Path) -> None:
    frames = utterance_frames(corpus / "300_P", "300", 6.6, 7.0)
    assert list(frames.columns) == ["timestamp", *OPENFACE_FEATURES]
    kept = [198, 199, 202, 204, 206, 207, 208, 209, 210]
    assert frames["Tx"].tolist() == kept
    assert frames["timestamp"].tolist() == pytest.approx([k / FPS for k in kept])
    assert frames["AU01_r"].tolist() == pytest.approx([k / 1000 for k in kept])
    assert frames["x_0"].tolist() == pytest.approx([k / 100 for k in kept])


def test_utterance_frames_clip_to_the_video(corpus: Path) -> None:
    assert utterance_frames(corpus / "300_P", "300", 7.9, 9.0)["Tx"].tolist() == [
        237, 238, 239, 240
    ]  # fmt: skip
    past = utterance_frames(corpus / "300_P", "300", 9.1, 9.8)
    assert past.empty and list(past.columns) == ["timestamp", *OPENFACE_FEATURES]


def test_utterance_frames_from_a_zip(corpus: Path) -> None:
    frames = utterance_frames(corpus / "301_P.zip", "301", 1.2, 2.0)
    assert frames["Tx"].tolist() == list(range(36, 61))


def test_sessions_without_openface(corpus: Path) -> None:
    frames = utterance_frames(corpus / "400_P", "400", 0.0, 1.0)  # AUs and gaze, no pose
    assert frames.empty and list(frames.columns) == ["timestamp", *OPENFACE_FEATURES]
    with pytest.raises(FileNotFoundError, match="400_CLNF_pose.txt"):
        read_openface(corpus / "400_P", "400", "pose")
    with pytest.raises(ValueError, match="hog"):
        read_openface(corpus / "300_P", "300", "hog")


def test_openface_file_without_its_columns_names_the_file(tmp_path: Path) -> None:
    folder = write_folder(tmp_path, "310", {"310_CLNF_pose.txt": b"frame, timestamp\n1, 0\n"})
    with pytest.raises(ImportFailure, match=r"^310_P/310_CLNF_pose.txt: missing column\(s\)"):
        read_openface(folder, "310", "pose")
