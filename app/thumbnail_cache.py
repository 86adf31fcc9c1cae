"""Small JPEG thumbnails of dataset images, made once and kept in the workspace cache.

Images are decoded by the model's own reader (`amm_core.features.image.read_image`: EXIF
orientation, transparency on white, truncated or corrupt data refused), so "unreadable" here
means unreadable for the model too (choice: a truncated JPEG gets no half-grey thumbnail).
A thumbnail's file name is a hash of the reader version, the source's resolved path,
modification time, size and the thumbnail size, so an edited image gets a new thumbnail and
nothing is decoded twice. Unreadable images are remembered too (an empty marker file), so a
broken file costs one attempt.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any

import cv2
import numpy as np

THUMBNAIL_DIR = "thumbnails"
READER_VERSION = 2  # 2: the model's reader (1: OpenCV, which half-decodes truncated JPEGs)
THUMBNAIL_EDGE = 256  # longest side, pixels
JPEG_QUALITY = 80
_UNREADABLE = ".none"


def thumbnail_key(source: Path, edge: int = THUMBNAIL_EDGE) -> str | None:
    """The cache key of `source` as it is now, or None when the file is gone."""
    try:
        stat = source.stat()
    except OSError:
        return None
    raw = f"v{READER_VERSION}|{source.resolve()}|{stat.st_mtime_ns}|{stat.st_size}|{edge}"
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:32]


def thumbnail(source: str | Path, cache_dir: Path, edge: int = THUMBNAIL_EDGE) -> Path | None:
    """Path of the cached thumbnail of `source` (made now if needed); None if it cannot be read."""
    source = Path(source)
    key = thumbnail_key(source, edge)
    if key is None:
        return None
    target = cache_dir / THUMBNAIL_DIR / key[:2] / f"{key}.jpg"
    if target.exists():
        return target
    marker = target.with_suffix(_UNREADABLE)
    if marker.exists():
        return None
    rgb = read_rgb(source, (edge, edge))
    target.parent.mkdir(parents=True, exist_ok=True)
    if rgb is None:
        marker.touch()
        return None
    _write_atomically(target, _encode(_shrink(rgb, edge)))
    return target


def read_rgb(source: Path, reduce_to: tuple[int, int] | None = None) -> np.ndarray | None:
    """uint8 RGB pixels of an image file as the model reads them, or None when it cannot.
    `reduce_to` (width, height): a large JPEG may decode at a reduced DCT scale, not below it."""
    try:
        return np.asarray(load_image(source, reduce_to))
    except ValueError:
        return None


def load_image(source: Path, reduce_to: tuple[int, int] | None = None) -> Any:
    """The model's reading of an image file (a PIL RGB image); ValueError("<name>: ...") when
    the file is gone or cannot be decoded."""
    from amm_core.features.image import read_image  # deferred (decoding needs no torch)

    return read_image(read_bytes(source), source.name, reduce_to=reduce_to)


def read_bytes(source: Path) -> bytes:
    """The file's bytes; ValueError (one line) when it is gone or cannot be read."""
    try:
        return source.read_bytes()
    except FileNotFoundError as exc:
        raise ValueError(f"{source.name}: file not found") from exc
    except OSError as exc:
        raise ValueError(f"{source.name}: cannot read file ({exc.strerror or exc})") from exc


def _shrink(rgb: np.ndarray, edge: int) -> np.ndarray:
    height, width = rgb.shape[:2]
    scale = edge / max(height, width)
    if scale >= 1:
        return rgb
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)


def _encode(rgb: np.ndarray) -> bytes:
    ok, data = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR),
                            [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:
        raise ValueError("OpenCV could not encode a thumbnail")
    return data.tobytes()


def _write_atomically(target: Path, data: bytes) -> None:
    """Write then rename, so a reader in another session never sees half a file."""
    handle, temporary = tempfile.mkstemp(dir=target.parent, suffix=".part")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
