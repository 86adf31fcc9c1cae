"""Image decoding and validation, resizing, and zone features (crops and rows)."""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch
from PIL import Image, ImageFile

from amm_core.features.image import (
    read_image,
    resize_rgb,
    zone_bounds,
    zone_features,
    zone_tensor,
)
from amm_core.features.vision import VisionEncoder
from tests.features.media_fixtures import (
    gradient,
    image_bytes,
    jpeg_with_orientation,
    png_header_only,
)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "BMP", "GIF"])
def test_every_supported_format_decodes_to_rgb(fmt: str) -> None:
    data = image_bytes(gradient(96, 72), fmt)
    image = read_image(data, f"photo.{fmt.lower()}")
    assert image.mode == "RGB" and image.size == (96, 72)


def test_gif_gives_its_first_frame() -> None:
    red, blue = Image.new("RGB", (8, 8), (255, 0, 0)), Image.new("RGB", (8, 8), (0, 0, 255))
    data = image_bytes(red, "GIF", save_all=True, append_images=[blue], duration=100)
    pixel = read_image(data, "anim.gif").getpixel((4, 4))
    assert pixel == (255, 0, 0)


def test_exif_orientation_is_applied() -> None:
    wide = gradient(40, 20)
    upright = read_image(jpeg_with_orientation(wide, 6), "phone.jpg")  # 6 = rotate 90 cw
    assert upright.size == (20, 40)


def test_transparent_pixels_become_white() -> None:
    clear = Image.new("RGBA", (4, 4), (255, 0, 0, 0))
    assert read_image(image_bytes(clear, "PNG"), "clear.png").getpixel((0, 0)) == (255, 255, 255)


def test_16_bit_greyscale_is_the_same_picture_as_8_bit() -> None:
    """Pillow's convert('RGB') clips 16-bit values above 255: a mid-grey scan became white."""
    grey = (np.arange(64 * 48).reshape(48, 64) % 256).astype(np.uint8)
    eight = np.asarray(read_image(image_bytes(Image.fromarray(grey, "L"), "PNG"), "g8.png"))
    wide = Image.fromarray(grey.astype(np.uint16) * 257)
    assert wide.mode.startswith("I;16")
    sixteen = np.asarray(read_image(image_bytes(wide, "PNG"), "g16.png"))
    assert sixteen.mean() == pytest.approx(grey.mean(), abs=0.01)
    assert np.array_equal(sixteen, eight)


def test_zero_byte_file() -> None:
    with pytest.raises(ValueError, match=r"^empty\.jpg: empty file \(0 bytes\)$"):
        read_image(b"", "empty.jpg")


def test_bytes_that_are_no_image() -> None:
    with pytest.raises(ValueError, match=r"^notes\.png: not a readable image \(JPEG, PNG, WebP"):
        read_image(b"hello, I am a text file\n" * 10, "notes.png")


def test_truncated_jpeg() -> None:
    noise = np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)
    data = image_bytes(Image.fromarray(noise), "JPEG")
    with pytest.raises(ValueError, match=r"^cut\.jpg: truncated or corrupt image data \("):
        read_image(data[: len(data) // 2], "cut.jpg")


def test_corrupt_png_body() -> None:
    data = bytearray(image_bytes(gradient(), "PNG"))
    data[60:120] = b"\x00" * 60  # inside the compressed pixel data
    with pytest.raises(ValueError, match=r"^broken\.png: truncated or corrupt image data"):
        read_image(bytes(data), "broken.png")


def test_content_that_does_not_match_the_extension() -> None:
    png = image_bytes(gradient(), "PNG")
    with pytest.raises(ValueError) as caught:
        read_image(png, "holiday.jpg")
    assert str(caught.value) == "holiday.jpg: content is PNG but the extension '.jpg' says JPEG"
    assert read_image(png, "holiday.jpg", check_extension=False).size == (96, 72)
    assert read_image(png, "upload").size == (96, 72)  # no extension: the content decides


def test_an_unsupported_format_is_named() -> None:
    tiff = image_bytes(gradient(), "TIFF")
    with pytest.raises(ValueError, match=r"^scan\.tif: unsupported image format TIFF \("):
        read_image(tiff, "scan.tif")


def test_a_60000_by_60000_png_header_is_refused_without_decoding() -> None:
    started = time.perf_counter()
    with pytest.raises(ValueError) as caught:
        read_image(png_header_only(60_000, 60_000), "huge.png")
    assert str(caught.value).startswith("huge.png: image is ")
    assert "3600.0 megapixels" in str(caught.value)
    assert time.perf_counter() - started < 1.0  # 10.8 GB of pixels were never allocated


def test_the_pixel_limit_is_checked_from_the_header(monkeypatch: pytest.MonkeyPatch) -> None:
    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("pixels were decoded")

    data = image_bytes(gradient(200, 100), "PNG")
    monkeypatch.setattr(ImageFile.ImageFile, "load", never)
    with pytest.raises(ValueError) as caught:
        read_image(data, "big.png", max_pixels=10_000)
    assert str(caught.value) == (
        "big.png: image is 200 x 100 pixels (0.0 megapixels), over the 0.01-megapixel limit"
    )


def test_resize_gives_the_papers_480_by_360() -> None:
    rgb = resize_rgb(gradient(1000, 300))
    assert rgb.shape == (360, 480, 3) and rgb.dtype == np.uint8


def test_zone_bounds_cover_every_row_top_to_bottom() -> None:
    assert zone_bounds(360, 4) == [(0, 90), (90, 180), (180, 270), (270, 360)]
    assert zone_bounds(360, 7) == [
        (0, 51), (51, 103), (103, 154), (154, 206), (206, 257), (257, 309), (309, 360),
    ]  # fmt: skip
    with pytest.raises(ValueError, match="n_zones must be between 1 and 360, got 0"):
        zone_bounds(360, 0)


@pytest.fixture(scope="module")
def two_images() -> np.ndarray:
    """Two 160 x 120 images (small for speed; the zone logic does not depend on the size)."""
    first = resize_rgb(gradient(96, 72), 160, 120)
    second = np.random.default_rng(1).integers(0, 255, (120, 160, 3), dtype=np.uint8)
    return np.stack([first, second])


def test_crops_are_the_strips_through_the_network(
    vision_encoder: VisionEncoder, two_images: np.ndarray
) -> None:
    zones = zone_features(vision_encoder, two_images, n_zones=4, mode="crops")
    assert zones.shape == (2, 4, 1280) and zones.dtype == torch.float32
    bottom = vision_encoder.pooled(two_images[1:, 90:120])[0]  # the last strip alone
    assert torch.allclose(zones[1, 3], bottom, atol=1e-4)
    uneven = zone_features(vision_encoder, two_images[:1], n_zones=7, mode="crops")
    assert uneven.shape == (1, 7, 1280)
    assert zone_bounds(120, 7)[3] == (51, 69)
    middle = vision_encoder.pooled(two_images[:1, 51:69])[0]
    assert torch.allclose(uneven[0, 3], middle, atol=1e-4)


def test_rows_pool_the_feature_map_in_bands(
    vision_encoder: VisionEncoder, two_images: np.ndarray
) -> None:
    zones = zone_features(vision_encoder, two_images, n_zones=2, mode="rows")
    assert zones.shape == (2, 2, 1280)
    fmap = vision_encoder.feature_map(two_images)  # (2, 1280, 4, 5): 2 map rows per zone
    assert fmap.shape == (2, 1280, 4, 5)
    assert torch.allclose(zones[:, 0], fmap[:, :, 0:2].mean(dim=(2, 3)), atol=1e-5)
    assert torch.allclose(zones[:, 1], fmap[:, :, 2:4].mean(dim=(2, 3)), atol=1e-5)
    with pytest.raises(ValueError, match="zone_mode must be one of rows, crops, got 'grid'"):
        zone_features(vision_encoder, two_images, 4, "grid")


@pytest.mark.parametrize("mode", ["rows", "crops"])
def test_zone_tensor_lets_gradients_reach_the_pixels(
    vision_encoder: VisionEncoder, mode: str
) -> None:
    """The seam Captum's pixel attributions use: EfficientNet inside the autograd graph."""
    pixels = torch.zeros(1, 3, 64, 64, requires_grad=True)
    zone_tensor(vision_encoder.model, pixels, 2, mode).sum().backward()
    assert pixels.grad is not None and float(pixels.grad.abs().sum()) > 0
