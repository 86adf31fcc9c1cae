"""What an upload may be, checked before anything is stored, and the content hash that names it.

An upload is a text, an optional image or video (bytes + the user's file name) and an optional
gender (DATA_FORMATS.md section 4). `check_upload` refuses bad input with one line naming the
problem; `upload_rules` says which parts a run can use (shared by `Predictor.upload_item`, the
`amm predict` command and the Upload page). Torch-free at import: the decoders load on first use.

Limits (choices, documented here and on the page):
- text: at most `MAX_TEXT_CHARS` characters after trimming (the model reads only the first
  `FeatureConfig.max_tokens` word pieces anyway; the limit keeps the database and the page sane);
- image: at most `MAX_MEDIA_BYTES` and `FeatureConfig.max_image_pixels` decoded pixels (checked
  from the header, before any pixel is decoded), and it must decode completely;
- video: at most `MAX_MEDIA_BYTES` and `MAX_VIDEO_SECONDS` long, with at least one frame OpenCV
  decodes (checked on the staged file by `check_video_decodes`).

Content hash (`upload_sha256`), recipe "amm-upload-v1": SHA-256 over
    b"amm-upload-v1\\n"
    + b"text:%d\\n" % len(T) + T          T = the trimmed text (CRLF -> LF, NUL removed), UTF-8
    + b"\\ngender:" + G                    G = female | male | unknown (missing = unknown), ASCII
    + b"\\nmedia:%d\\n" % len(M) + M      M = the media bytes exactly as given (b"" when none)
Lengths are in decimal ASCII, so no two different uploads share the bytes that are hashed.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from amm_core.config import GENDER_WORDS, FeatureConfig

MAX_TEXT_CHARS = 20_000
MAX_MEDIA_BYTES = 200 * 1024 * 1024  # Streamlit's default upload limit (server.maxUploadSize)
MAX_VIDEO_SECONDS = 600.0  # ten minutes; the model samples 8 clips whatever the length
MAX_NAME_CHARS = 120
HASH_RECIPE = b"amm-upload-v1"
VISION_FEATURES = 1280  # EfficientNet-Lite0 zone / clip features: runs with it read pictures
IMAGE_EXTENSIONS = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp", "BMP": ".bmp", "GIF": ".gif"}
VIDEO_EXTENSIONS = {"MP4/MOV": ".mp4", "AVI": ".avi", "MKV/WebM": ".mkv"}
ACCEPTED_SUFFIXES = (
    "jpg", "jpeg", "png", "webp", "bmp", "gif", "mp4", "m4v", "mov", "avi", "mkv", "webm",
)


@dataclass(frozen=True)
class UploadRules:
    """Which parts of an upload a run can use, and why not (one line each)."""

    accepts_media: bool
    uses_text: bool
    media_reason: str | None = None
    text_reason: str | None = None


def upload_rules(modalities: str, visual_dim: int) -> UploadRules:
    """From a run's `model.modalities` and `model.visual_dim` (its config)."""
    parts = modalities.split("+")
    media_reason = None
    if "image" not in parts:
        media_reason = (f"this run was trained on {modalities} only; it cannot use an image "
                        "or video")
    elif visual_dim != VISION_FEATURES:
        media_reason = ("this run's visual input is OpenFace facial features (DAIC), not "
                        "pictures: it cannot use an uploaded image or video")
    text_reason = None if "text" in parts else "this run reads images only; it ignores text"
    return UploadRules(accepts_media=media_reason is None, uses_text=text_reason is None,
                       media_reason=media_reason, text_reason=text_reason)


@dataclass(frozen=True)
class CheckedUpload:
    """An upload that passed every check that needs no model (a video's decode comes later)."""

    text: str
    gender: str
    media: bytes | None
    media_kind: str | None  # "image" | "video"
    extension: str | None  # from the sniffed content, never from the user's name
    display_name: str | None  # the user's file name, sanitised, for display only
    sha256: str

    @property
    def file_name(self) -> str | None:
        return None if self.extension is None else f"{self.sha256}{self.extension}"


def upload_sha256(text: str, gender: str, media: bytes | None) -> str:
    """The content hash of the module docstring's recipe (inputs already normalised)."""
    encoded, data = text.encode("utf-8"), media or b""
    digest = hashlib.sha256(HASH_RECIPE + b"\n")
    digest.update(b"text:%d\n" % len(encoded) + encoded)
    digest.update(b"\ngender:" + gender.encode("ascii"))
    digest.update(b"\nmedia:%d\n" % len(data))
    digest.update(data)
    return digest.hexdigest()


def normalise_text(text: str | None) -> str:
    """Line ends as LF, NUL characters removed (they mean nothing in a post, and PostgreSQL's
    text columns refuse them), trimmed."""
    return (text or "").replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "").strip()


def display_name(name: str | None) -> str | None:
    """The user's file name as a display string: last path part, printable, at most 120 chars."""
    base = re.split(r"[\\/]", name or "")[-1]
    cleaned = "".join(c for c in base if unicodedata.category(c)[0] not in ("C", "Z") or c == " ")
    cleaned = " ".join(cleaned.split())[:MAX_NAME_CHARS]
    return cleaned or None


def check_upload(
    text: str | None,
    media: bytes | None = None,
    media_name: str | None = None,
    gender: str | None = None,
    *,
    expected_kind: str | None = None,
    config: FeatureConfig | None = None,
) -> CheckedUpload:
    """ValueError (one line naming the problem) unless the upload is usable; nothing is written.

    `expected_kind` ("image" | "video") is what the caller asked for (`--image` / `--video`).
    """
    config = config or FeatureConfig()
    clean = normalise_text(text)
    if len(clean) > MAX_TEXT_CHARS:
        raise ValueError(f"text is {len(clean):,} characters, over the "
                         f"{MAX_TEXT_CHARS:,}-character limit")
    word = gender or "unknown"
    if word not in GENDER_WORDS:
        raise ValueError(f"gender must be one of {', '.join(GENDER_WORDS)}, not {gender!r}")
    if media is None:
        if not clean:
            raise ValueError("empty text needs an image or a video")
        return CheckedUpload(clean, word, None, None, None, None, upload_sha256(clean, word, None))
    name = display_name(media_name) or "upload"
    kind, extension = sniff_media(media, name, config.max_image_pixels)
    if expected_kind is not None and kind != expected_kind:
        raise ValueError(f"{name}: the content is a{'n' if kind == 'image' else ''} {kind}, "
                         f"not a{'n' if expected_kind == 'image' else ''} {expected_kind}")
    return CheckedUpload(clean, word, media, kind, extension, display_name(media_name),
                         upload_sha256(clean, word, media))


def sniff_media(data: bytes, name: str, max_pixels: int) -> tuple[str, str]:
    """(kind, extension) from the content; ValueError if empty, too big, unreadable, truncated,
    over the pixel limit, or unlike the name's extension. Images are decoded completely here."""
    from amm_core.features.image import EXTENSION_FORMATS, check_image_header, read_image
    from amm_core.features.video import VIDEO_CONTAINERS, sniff_container

    if not data:
        raise ValueError(f"{name}: empty file (0 bytes)")
    if len(data) > MAX_MEDIA_BYTES:
        raise ValueError(f"{name}: file is {len(data) / 2**20:.0f} MB, over the "
                         f"{MAX_MEDIA_BYTES // 2**20} MB upload limit")
    suffix = Path(name).suffix.lower()
    if suffix and suffix not in EXTENSION_FORMATS and suffix not in VIDEO_CONTAINERS:
        raise ValueError(f"{name}: the extension {suffix!r} is not an image or video type "
                         f"(accepted: {', '.join(ACCEPTED_SUFFIXES)})")
    container = sniff_container(data[:12])
    if container is not None:
        if suffix in EXTENSION_FORMATS:
            raise ValueError(f"{name}: content is {container} video but the extension "
                             f"{suffix!r} says {EXTENSION_FORMATS[suffix]}")
        if suffix in VIDEO_CONTAINERS and VIDEO_CONTAINERS[suffix] != container:
            raise ValueError(f"{name}: content is {container} but the extension {suffix!r} "
                             f"says {VIDEO_CONTAINERS[suffix]}")
        return "video", VIDEO_EXTENSIONS[container]
    if suffix in VIDEO_CONTAINERS:
        raise ValueError(f"{name}: content is not a recognised video container but the "
                         f"extension {suffix!r} says {VIDEO_CONTAINERS[suffix]}")
    found = check_image_header(data, name, max_pixels).format  # pixel limit before decoding
    read_image(data, name, max_pixels)  # the whole decode: truncated or corrupt data fails here
    return "image", IMAGE_EXTENSIONS[str(found)]


def check_video_decodes(path: Path, name: str) -> None:
    """ValueError unless OpenCV opens the staged video, decodes a frame and it is short enough."""
    import cv2

    from amm_core.features.video import open_video

    capture = open_video(path)
    try:
        if not capture.isOpened():
            raise ValueError(f"{name}: OpenCV cannot decode this video (MP4, AVI, MOV or MKV "
                             "expected)")
        fps = capture.get(cv2.CAP_PROP_FPS) or 0.0
        frames = int(capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        ok, frame = capture.read()
        if not ok or frame is None:
            raise ValueError(f"{name}: video has no decodable frames")
        if frames <= 0:  # the header does not say: count, but never past the length limit
            frames = 1 + _count_up_to(capture, int(MAX_VIDEO_SECONDS * (fps or 30)) + 1)
        seconds = frames / fps if fps > 0 else 0.0
        if seconds > MAX_VIDEO_SECONDS:
            raise ValueError(f"{name}: video is {seconds:.0f} s long, over the "
                             f"{MAX_VIDEO_SECONDS:.0f}-second limit")
    finally:
        capture.release()


def _count_up_to(capture, limit: int) -> int:
    count = 0
    while count < limit and capture.grab():
        count += 1
    return count
