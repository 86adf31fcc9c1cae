"""Static images: decode and validate (format, extension, pixel limit, EXIF orientation; large
JPEGs may decode at a reduced DCT scale), resize to the paper's 480 x 360, and zone features
(horizontal strips, top to bottom) from EfficientNet."""

from __future__ import annotations

import io
import re
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np
from PIL import Image, ImageOps

if TYPE_CHECKING:  # torch loads only for zone features: decoding (thumbnails, checks) is light
    import torch
    from torch import nn

    from amm_core.features.vision import VisionEncoder

DEFAULT_MAX_PIXELS = 40_000_000  # FeatureConfig.max_image_pixels
SUPPORTED_FORMATS = ("JPEG", "PNG", "WEBP", "BMP", "GIF")
EXTENSION_FORMATS = {
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".jpe": "JPEG",
    ".jfif": "JPEG",
    ".png": "PNG",
    ".webp": "WEBP",
    ".bmp": "BMP",
    ".dib": "BMP",
    ".gif": "GIF",
}
ZONE_MODES = ("rows", "crops")
_EXPECTED = "JPEG, PNG, WebP, BMP or GIF expected"
_EXIF_ORIENTATION = 0x0112
_QUARTER_TURNS = (5, 6, 7, 8)  # EXIF orientations that swap width and height


def check_image_header(
    data: bytes,
    name: str = "image",
    max_pixels: int = DEFAULT_MAX_PIXELS,
    check_extension: bool = True,
) -> Image.Image:
    """The checks that need only the header (cheap: no pixel is decoded); ValueError if any fails.

    Empty file, unreadable or unsupported format, content unlike a known image extension
    (`check_extension`), more pixels than `max_pixels`. Returns the lazily opened image.
    """
    if not data:
        raise ValueError(f"{name}: empty file (0 bytes)")
    image = _open_header(data, name)
    _check_format(image, name, check_extension)
    width, height = image.size
    if width * height > max_pixels:
        raise ValueError(
            f"{name}: image is {width} x {height} pixels ({width * height / 1e6:.1f} megapixels), "
            f"over the {max_pixels / 1e6:g}-megapixel limit"
        )
    return image


def read_image(
    data: bytes,
    name: str = "image",
    max_pixels: int = DEFAULT_MAX_PIXELS,
    check_extension: bool = True,
    reduce_to: tuple[int, int] | None = None,
) -> Image.Image:
    """Bytes -> RGB image (first frame, EXIF orientation applied), or ValueError("<name>: ...").

    `check_image_header` runs first, so an oversized image is refused before any pixel is decoded.
    `reduce_to` (width, height): a JPEG at least twice that size in both directions is decoded at
    1/2, 1/4 or 1/8 scale in the DCT domain (libjpeg's own downscaling, as OpenCV's
    IMREAD_REDUCED_COLOR_*), never below that size; other formats decode at full size.
    """
    image = check_image_header(data, name, max_pixels, check_extension)
    if reduce_to is not None and image.format == "JPEG":
        _draft(image, reduce_to)
    try:
        image.seek(0)  # GIF / animated WebP: the first frame
        image.load()
    except (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError) as exc:
        raise ValueError(f"{name}: truncated or corrupt image data ({_one_line(exc)})") from exc
    return _to_rgb(_upright(image))


def read_image_file(path: str | Path, max_pixels: int = DEFAULT_MAX_PIXELS) -> Image.Image:
    """A file on disk -> RGB image; the file's name is used in error messages."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ValueError(f"{path.name}: cannot read file ({_one_line(exc)})") from exc
    return read_image(data, path.name, max_pixels)


def _draft(image: Image.Image, size: tuple[int, int]) -> None:
    """Ask the JPEG decoder for the smallest DCT scale still >= `size` once upright."""
    if image.getexif().get(_EXIF_ORIENTATION, 1) in _QUARTER_TURNS:
        size = (size[1], size[0])  # stored sideways: the upright width is the stored height
    image.draft("RGB", size)


def decode_resized(
    data: bytes, name: str, size: tuple[int, int], max_pixels: int = DEFAULT_MAX_PIXELS
) -> np.ndarray:
    """Bytes -> uint8 (height, width, 3) network input: `read_image` with the JPEG DCT shortcut
    (a 2x or more larger JPEG decodes smaller, then the same bicubic resize)."""
    return resize_rgb(read_image(data, name, max_pixels, reduce_to=size), *size)


def _open_header(data: bytes, name: str) -> Image.Image:
    """Image.open reads the header only; PIL's own bomb guard is turned into our message."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            return Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as exc:
        found = re.search(r"\((\d+) pixels\)", str(exc))
        size = f"{int(found.group(1)) / 1e6:.1f} megapixels" if found else "too many pixels"
        raise ValueError(f"{name}: image is too large to decode safely ({size})") from exc
    except (OSError, SyntaxError, ValueError) as exc:  # UnidentifiedImageError is an OSError
        raise ValueError(f"{name}: not a readable image ({_EXPECTED})") from exc


def _check_format(image: Image.Image, name: str, check_extension: bool) -> None:
    found = image.format or "unknown"
    if found not in SUPPORTED_FORMATS:
        raise ValueError(f"{name}: unsupported image format {found} ({_EXPECTED})")
    expected = EXTENSION_FORMATS.get(Path(name).suffix.lower())
    if check_extension and expected and expected != found:
        suffix = Path(name).suffix
        raise ValueError(f"{name}: content is {found} but the extension {suffix!r} says {expected}")


def _upright(image: Image.Image) -> Image.Image:
    """Apply the EXIF orientation; a malformed EXIF block leaves the image as stored."""
    try:
        return ImageOps.exif_transpose(image) or image
    except Exception:  # broken EXIF must not reject an otherwise good image
        return image


_SIXTEEN_BIT = ("I;16", "I;16L", "I;16B", "I;16N", "I")  # 16-bit greyscale (PNG, TIFF)


def _to_rgb(image: Image.Image) -> Image.Image:
    """Transparent pixels are composited on white (choice) so they do not turn black; 16-bit
    greyscale is scaled to 8 bits (value / 257) first, as Pillow's own conversion clips every
    value above 255 to white."""
    if image.mode in _SIXTEEN_BIT:
        wide = np.asarray(image, dtype=np.float64)
        image = Image.fromarray(np.clip(np.rint(wide / 257.0), 0, 255).astype(np.uint8), "L")
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    if not has_alpha:
        return image.convert("RGB")
    rgba = image.convert("RGBA")
    background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    return Image.alpha_composite(background, rgba).convert("RGB")


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def resize_rgb(image: Image.Image, width: int = 480, height: int = 360) -> np.ndarray:
    """RGB image -> uint8 (height, width, 3), stretched to the paper's fixed size.

    OpenCV's pixel-area averaging when no side grows (antialiased, ~2x faster than PIL's bicubic
    here), bicubic when a side grows.
    """
    rgb = np.asarray(image.convert("RGB") if image.mode != "RGB" else image, dtype=np.uint8)
    shrink = width <= rgb.shape[1] and height <= rgb.shape[0]
    interpolation = cv2.INTER_AREA if shrink else cv2.INTER_CUBIC
    return cv2.resize(rgb, (width, height), interpolation=interpolation)


def zone_bounds(height: int, n_zones: int) -> list[tuple[int, int]]:
    """Row ranges of `n_zones` horizontal strips, top to bottom, covering every row once."""
    if not 1 <= n_zones <= height:
        raise ValueError(f"n_zones must be between 1 and {height}, got {n_zones}")
    edges = np.linspace(0, height, n_zones + 1).round().astype(int)
    return [(int(top), int(bottom)) for top, bottom in zip(edges[:-1], edges[1:], strict=True)]


def zone_features(
    encoder: VisionEncoder, images: np.ndarray, n_zones: int = 4, mode: str = "rows"
) -> torch.Tensor:
    """uint8 (B, H, W, 3) -> (B, n_zones, 1280) float32 on the CPU (no autograd)."""
    import torch

    with torch.inference_mode():
        zones = zone_tensor(encoder.fast, encoder.input(images), n_zones, mode)
    return zones.float().cpu().contiguous()


def zone_tensor(model: nn.Module, x: torch.Tensor, n_zones: int, mode: str) -> torch.Tensor:
    """Normalised (B, 3, H, W) -> (B, n_zones, 1280); differentiable (Captum pixel attributions).

    "crops" (the paper): every strip is its own EfficientNet input at its native size (choice: no
    stretching to 224 px), global-average pooled; strips of equal height share one forward.
    "rows" (fast): one forward on the whole image, then the final feature map's rows are
    average-pooled into `n_zones` bands (adaptive pooling: uneven splits may share a map row).
    """
    import torch
    import torch.nn.functional as F

    if mode == "rows":
        fmap = model.forward_features(x)  # (B, 1280, h, w)
        return F.adaptive_avg_pool2d(fmap, (n_zones, 1)).squeeze(-1).transpose(1, 2)
    if mode != "crops":
        raise ValueError(f"zone_mode must be one of {', '.join(ZONE_MODES)}, got {mode!r}")
    batch = x.shape[0]
    by_height: dict[int, list[tuple[int, int, int]]] = {}
    for zone, (top, bottom) in enumerate(zone_bounds(x.shape[2], n_zones)):
        by_height.setdefault(bottom - top, []).append((zone, top, bottom))
    pooled_by_zone: dict[int, torch.Tensor] = {}
    for strips in by_height.values():
        crops = torch.cat([x[:, :, top:bottom] for _, top, bottom in strips])  # (k * B, 3, h, W)
        pooled = model.forward_features(crops).mean(dim=(2, 3))  # (k * B, 1280)
        for position, (zone, _, _) in enumerate(strips):
            pooled_by_zone[zone] = pooled[position * batch : (position + 1) * batch]
    return torch.stack([pooled_by_zone[zone] for zone in range(n_zones)], dim=1)
