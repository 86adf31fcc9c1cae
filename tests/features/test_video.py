"""Video sampling with OpenCV, clip features, and the bad-video messages."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

import amm_core.features.video as video_module
from amm_core.features.video import (
    clip_features,
    frame_indices,
    read_clip_frames,
    sniff_container,
)
from amm_core.features.vision import VisionEncoder
from tests.features.media_fixtures import grey_video


def test_frame_indices_split_into_equal_segments() -> None:
    assert frame_indices(24, 4, 2).tolist() == [[1, 4], [7, 10], [13, 16], [19, 22]]
    assert frame_indices(16, 8, 1).tolist() == [[1], [3], [5], [7], [9], [11], [13], [15]]
    assert frame_indices(3, 4, 1).tolist() == [[0], [1], [1], [2]]  # short: frames repeat


def test_sampled_frames_are_the_expected_ones(tmp_path: Path) -> None:
    video = grey_video(tmp_path / "clip.avi", [10 * i for i in range(24)])
    frames = read_clip_frames(video, n_clips=4, frames_per_clip=2, width=32, height=24)
    assert frames.shape == (4, 2, 24, 32, 3) and frames.dtype == np.uint8
    levels = frames.reshape(8, -1).mean(axis=1)
    expected = 10 * np.array([1, 4, 7, 10, 13, 16, 19, 22])
    assert np.abs(levels - expected).max() < 4  # MJPG is lossy


def test_long_videos_seek_to_the_same_frames(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    video = grey_video(tmp_path / "long.avi", [10 * i for i in range(24)])
    sequential = read_clip_frames(video, n_clips=4, frames_per_clip=2, width=32, height=24)
    monkeypatch.setattr(video_module, "SEQUENTIAL_LIMIT", 10)
    seeking = read_clip_frames(video, n_clips=4, frames_per_clip=2, width=32, height=24)
    assert np.array_equal(seeking, sequential)


def test_a_zero_frame_video_is_refused(tmp_path: Path) -> None:
    empty = grey_video(tmp_path / "nothing.avi", [])
    with pytest.raises(ValueError, match=r"^nothing\.avi: video has no decodable frames$"):
        read_clip_frames(empty)


def test_a_zero_byte_video(tmp_path: Path) -> None:
    (tmp_path / "zero.mp4").write_bytes(b"")
    with pytest.raises(ValueError, match=r"^zero\.mp4: empty file \(0 bytes\)$"):
        read_clip_frames(tmp_path / "zero.mp4")


def test_content_that_does_not_match_the_extension(tmp_path: Path) -> None:
    avi = grey_video(tmp_path / "real.avi", [0, 50, 100])
    renamed = tmp_path / "movie.mp4"
    renamed.write_bytes(avi.read_bytes())
    with pytest.raises(ValueError) as caught:
        read_clip_frames(renamed)
    assert str(caught.value) == "movie.mp4: content is AVI but the extension '.mp4' says MP4/MOV"
    text = tmp_path / "notes.mkv"
    text.write_text("not a video at all")
    with pytest.raises(ValueError, match=r"^notes\.mkv: content is not a recognised video"):
        read_clip_frames(text)


def test_undecodable_content_with_an_unknown_extension(tmp_path: Path) -> None:
    junk = tmp_path / "upload.bin"
    junk.write_bytes(b"\x00\x01junk" * 100)
    with pytest.raises(ValueError, match=r"^upload\.bin: OpenCV cannot decode this video"):
        read_clip_frames(junk)


def test_sniff_container() -> None:
    assert sniff_container(b"\x00\x00\x00\x1cftypisom") == "MP4/MOV"
    assert sniff_container(b"RIFF\x00\x00\x00\x00AVI ") == "AVI"
    assert sniff_container(b"\x1a\x45\xdf\xa3\x00") == "MKV/WebM"
    assert sniff_container(b"hello world!") is None


def test_clip_features_average_the_frames_of_each_clip(vision_encoder: VisionEncoder) -> None:
    frames = np.random.default_rng(0).integers(0, 255, (3, 2, 64, 64, 3), dtype=np.uint8)
    clips = clip_features(vision_encoder, frames, batch_size=4)
    assert clips.shape == (3, 1280)
    second = vision_encoder.pooled(frames[1]).mean(dim=0)
    assert torch.allclose(clips[1], second, atol=1e-5)
