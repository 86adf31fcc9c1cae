"""The E-DAIC flavour: detection, comma-separated ASR transcripts, labels/ files, OpenFace 2.1.0.

Hand count (see daic_fixtures.write_edaic_corpus; `+` utterance, `-` skipped):
300 folder, train (score 10, binary 0), WAV + OpenFace: 0+, 1- empty, 2+ quoted comma,
    3- garbage, (blank line), 4+ spaces collapsed                  -> 3 utterances
601 folder, train, CRLF without final newline, no features, no WAV: 0+, 1+      -> 2
603 in data/, test, OpenFace with pose_Ry = pi/2, no WAV: 0+                     -> 1
302 is in dev_split.csv but has no session.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from amm_core.data.daic import read_daic
from amm_core.data.openface import OPENFACE_FEATURES, POSE_COLUMNS, read_openface, utterance_frames
from amm_core.data.records import ImportFailure
from tests.data.daic_fixtures import write_edaic_corpus, write_folder


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return write_edaic_corpus(tmp_path / "edaic")


def test_edaic_is_detected_and_counted(corpus: Path) -> None:
    result = read_daic(corpus)
    assert result.kind == "edaic"
    summary = result.summary
    assert summary["sessions"] == 3
    assert summary["sessions_by_split"] == {"train": 2, "dev": 0, "test": 1, "unlabelled": 0}
    assert summary["utterances"] == 6
    assert summary["skipped"] == {
        "ellie_row": 0,
        "empty": 1,
        "sync_marker": 0,
        "scrubbed_entry": 0,
        "interruption": 0,
        "garbage_row": 1,
        "bad_label_row": 0,
    }
    assert summary["sessions_without_transcript"] == 0
    assert summary["sessions_without_openface"] == 1
    assert summary["sessions_without_audio"] == 2
    assert summary["sessions_without_labels"] == 0
    assert summary["labelled_sessions_not_found"] == 1
    assert summary["label_files"] == ["train_split.csv", "dev_split.csv", "test_split.csv"]


def test_edaic_samples(corpus: Path) -> None:
    samples = read_daic(corpus).samples
    assert [s.external_id for s in samples] == [
        "300_0",
        "300_2",
        "300_4",
        "601_0",
        "601_1",
        "603_0",
    ]
    assert [s.text for s in samples[:3]] == ["hello there", "well, i guess so", "fine thanks"]
    assert all(s.context is None for s in samples)
    assert samples[0].meta["confidence"] == 0.93
    assert (samples[0].start_time, samples[0].stop_time) == (0.1, 1.5)
    labels = {s.session_id: (s.split, s.gender, s.depression_label, s.meta["phq8_score"])
              for s in samples}  # fmt: skip
    assert labels == {
        "300": ("train", "male", 1, 10),
        "601": ("train", "female", 1, 18),
        "603": ("test", "male", 1, 22),
    }
    assert samples[5].media_kind == "openface"
    assert samples[5].media_path == str((corpus / "data" / "603_P").resolve())
    assert samples[3].media_path is None
    assert all(s.meta["audio_offset"] == 0.0 for s in samples)


def test_detected_from_transcript_names_alone(corpus: Path) -> None:
    shutil.rmtree(corpus / "labels")
    result = read_daic(corpus)
    assert result.kind == "edaic"
    assert result.summary["sessions_by_split"]["unlabelled"] == 3


def test_labels_dir_may_be_the_labels_folder(corpus: Path) -> None:
    result = read_daic(corpus, labels_dir=corpus / "labels")
    assert result.summary["sessions_by_split"] == {"train": 2, "dev": 0, "test": 1, "unlabelled": 0}


def test_openface2_columns_are_mapped(corpus: Path) -> None:
    frames = utterance_frames(corpus / "300_P", "300", 0.1, 0.2)
    assert list(frames.columns) == ["timestamp", *OPENFACE_FEATURES]
    assert frames["Tx"].tolist() == [4, 5, 6]  # frame k = 3 (t = 0.1) failed
    assert frames["AU01_r"].tolist() == pytest.approx([0.004, 0.005, 0.006])
    assert frames[["x_0", "y_0", "z_0", "x_h0", "y_h0", "z_h0"]].iloc[0].tolist() == (
        pytest.approx([1, 0, 0, 1, 0, 0])
    )
    pose = read_openface(corpus / "300_P", "300", "pose")
    assert list(pose.columns) == ["frame", "timestamp", "confidence", "success", *POSE_COLUMNS]
    assert len(pose) == 211 - 1


def test_head_space_gaze_follows_the_head_rotation(corpus: Path) -> None:
    frames = utterance_frames(corpus / "data" / "603_P", "603", 0.0, 0.05)
    assert frames[["x_h1", "y_h1", "z_h1"]].iloc[0].tolist() == pytest.approx([0, 0, 1], abs=1e-9)


def test_bad_edaic_transcript_header_names_the_file(tmp_path: Path) -> None:
    write_folder(tmp_path, "605", {"605_Transcript.csv": b"When,Words\n1.0,hello\n"})
    with pytest.raises(ImportFailure, match=r"^605_P/605_Transcript.csv: transcript header"):
        read_daic(tmp_path)
