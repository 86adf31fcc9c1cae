"""Small JPEG thumbnails of dataset images, made once with OpenCV and kept in the workspace cache.

A thumbnail's file name is a hash of the source's resolved path, modification time, size and the
thumbnail size, so an edited image gets a new thumbnail and nothing is decoded full-size twice.
Unreadable images are remembered too (an empty marker file), so a broken file costs one attempt.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

THUMBNAIL_DIR = "thumbnails"
THUMBNAIL_EDGE = 256  # longest side, pixels
JPEG_QUALITY = 80
_UNREADABLE = ".none"


def thumbnail_key(source: Path, edge: int = THUMBNAIL_EDGE) -> str | None:
    """The cache key of `source` as it is now, or None when the file is gone."""
    try:
        stat = source.stat()
    except OSError:
        return None
    raw = f"{source.resolve()}|{stat.st_mtime_ns}|{stat.st_size}|{edge}"
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
    rgb = read_rgb(source)
    target.parent.mkdir(parents=True, exist_ok=True)
    if rgb is None:
        marker.touch()
        return None
    _write_atomically(target, _encode(_shrink(rgb, edge)))
    return target


def read_rgb(source: Path) -> np.ndarray | None:
    """uint8 RGB pixels of an image file (OpenCV, Pillow for what OpenCV cannot read), or None."""
    bgr = cv2.imread(str(source), cv2.IMREAD_COLOR)
    if bgr is not None:
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    try:
        with Image.open(source) as image:  # e.g. GIF: its first frame
            return np.asarray(image.convert("RGB"))
    except (OSError, ValueError, Image.DecompressionBombError):
        return None


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
