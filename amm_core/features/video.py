"""Videos: check the container, sample `n_clips` evenly spaced clips with OpenCV, and turn each
clip's frames into one EfficientNet feature vector (MODEL.md section 1)."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import cv2
import numpy as np
import torch

from amm_core.features.vision import VisionEncoder

VIDEO_CONTAINERS = {  # extension -> container family the first bytes must show
    ".mp4": "MP4/MOV",
    ".m4v": "MP4/MOV",
    ".mov": "MP4/MOV",
    ".avi": "AVI",
    ".mkv": "MKV/WebM",
    ".webm": "MKV/WebM",
}
_ISO_BOXES = (b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot")
_EXPECTED = "MP4, AVI, MOV or MKV expected"
SEQUENTIAL_LIMIT = 1500  # frames (50 s at 30 fps); longer videos seek to each sampled frame


def sniff_container(head: bytes) -> str | None:
    """The container family from a file's first 12 bytes, or None when unrecognised."""
    if head[4:8] in _ISO_BOXES:
        return "MP4/MOV"
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "AVI"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "MKV/WebM"
    return None


def check_video_file(path: Path) -> None:
    """ValueError("<name>: ...") for a missing / empty file or content unlike its extension."""
    try:
        with path.open("rb") as handle:
            head = handle.read(12)
    except OSError as exc:
        raise ValueError(f"{path.name}: cannot read file ({exc.strerror or exc})") from exc
    if not head:
        raise ValueError(f"{path.name}: empty file (0 bytes)")
    expected = VIDEO_CONTAINERS.get(path.suffix.lower())
    found = sniff_container(head)
    if expected and found != expected:
        what = found or "not a recognised video container"
        raise ValueError(
            f"{path.name}: content is {what} but the extension {path.suffix!r} says {expected}"
        )


def frame_indices(n_frames: int, n_clips: int, frames_per_clip: int) -> np.ndarray:
    """(n_clips, frames_per_clip) frame numbers: equal segments, frames evenly inside each.

    A video shorter than n_clips * frames_per_clip repeats frames, so the shape never changes.
    """
    if n_frames <= 0:
        raise ValueError("a video needs at least one frame")
    segment = n_frames / n_clips
    offsets = (np.arange(frames_per_clip) + 0.5) * segment / frames_per_clip
    starts = np.arange(n_clips)[:, None] * segment
    return np.minimum(np.floor(starts + offsets[None, :]).astype(int), n_frames - 1)


def read_clip_frames(
    path: str | Path,
    n_clips: int = 8,
    frames_per_clip: int = 2,
    width: int = 480,
    height: int = 360,
) -> np.ndarray:
    """The sampled frames as uint8 RGB (n_clips, frames_per_clip, height, width, 3)."""
    path = Path(path)
    check_video_file(path)
    claimed = _frame_count(path)
    if claimed:
        wanted = frame_indices(claimed, n_clips, frames_per_clip)
        read = _seek_frames if claimed > SEQUENTIAL_LIMIT else _grab_frames
        frames = read(path, wanted)
        if len(frames) == len(np.unique(wanted)):
            return _assemble(frames, wanted, width, height)
    # The header's frame count is missing or wrong: count the frames, then read again.
    actual = _count_frames(path)
    if actual == 0:
        raise ValueError(f"{path.name}: video has no decodable frames")
    wanted = frame_indices(actual, n_clips, frames_per_clip)
    frames = _grab_frames(path, wanted)
    if not frames:
        raise ValueError(f"{path.name}: video has no decodable frames")
    return _assemble(frames, wanted, width, height)


def _assemble(
    frames: dict[int, np.ndarray], wanted: np.ndarray, width: int, height: int
) -> np.ndarray:
    """Resize each decoded frame once; a frame that failed to decode borrows its nearest one."""
    resized = {
        index: cv2.resize(frame, (width, height), interpolation=cv2.INTER_AREA)
        for index, frame in frames.items()
    }
    decoded = np.array(sorted(resized))

    def frame(index: int) -> np.ndarray:
        return resized[int(decoded[np.abs(decoded - index).argmin()])]

    return np.stack([np.stack([frame(int(i)) for i in clip]) for clip in wanted])


_STDERR_LOCK = threading.Lock()


@contextmanager
def _native_stderr_silenced() -> Iterator[None]:
    """OpenCV's AVI parser writes complaints about a damaged file ("Unexpected element.
    Expected: LIST. Got: <raw bytes>") straight to file descriptor 2, past its log level: hide
    them while a file is opened, since we refuse such a file in one line of our own."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no usable descriptor 2 (some embedded runners)
        yield
        return
    with _STDERR_LOCK, open(os.devnull, "w") as devnull:
        os.dup2(devnull.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def open_video(path: Path) -> cv2.VideoCapture:
    """cv2.VideoCapture(path), without OpenCV's raw complaints on stderr."""
    with _native_stderr_silenced():
        capture = cv2.VideoCapture(str(path))
        capture.isOpened()  # the container is parsed by now
    return capture


def _open(path: Path) -> cv2.VideoCapture:
    capture = open_video(path)
    if not capture.isOpened():
        capture.release()
        raise ValueError(f"{path.name}: OpenCV cannot decode this video ({_EXPECTED})")
    return capture


def _frame_count(path: Path) -> int:
    capture = _open(path)
    try:
        return max(int(capture.get(cv2.CAP_PROP_FRAME_COUNT)), 0)
    finally:
        capture.release()


def _count_frames(path: Path) -> int:
    capture = _open(path)
    count = 0
    try:
        while capture.grab():
            count += 1
    finally:
        capture.release()
    return count


def _grab_frames(path: Path, wanted: np.ndarray) -> dict[int, np.ndarray]:
    """One sequential pass; only the wanted frames are converted (grab is cheaper than read)."""
    targets = set(int(i) for i in wanted.ravel())
    last = max(targets)
    frames: dict[int, np.ndarray] = {}
    capture = _open(path)
    try:
        for index in range(last + 1):
            if not capture.grab():
                break
            if index in targets:
                ok, bgr = capture.retrieve()
                if ok and bgr is not None:
                    frames[index] = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    finally:
        capture.release()
    return frames


def _seek_frames(path: Path, wanted: np.ndarray) -> dict[int, np.ndarray]:
    """Long videos: jump to each wanted frame instead of decoding everything in between."""
    frames: dict[int, np.ndarray] = {}
    capture = _open(path)
    try:
        for index in sorted(set(int(i) for i in wanted.ravel())):
            capture.set(cv2.CAP_PROP_POS_FRAMES, index)
            ok, bgr = capture.read()
            if ok and bgr is not None:
                frames[index] = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    finally:
        capture.release()
    return frames


def clip_features(encoder: VisionEncoder, frames: np.ndarray, batch_size: int = 8) -> torch.Tensor:
    """uint8 (n_clips, f, H, W, 3) -> (n_clips, 1280): each frame pooled, frames averaged."""
    n_clips, per_clip = frames.shape[:2]
    flat = frames.reshape(-1, *frames.shape[2:])
    pooled = [
        encoder.pooled(flat[i : i + batch_size]).float().cpu()
        for i in range(0, len(flat), batch_size)
    ]
    return torch.cat(pooled).view(n_clips, per_clip, -1).mean(dim=1)
