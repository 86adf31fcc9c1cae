"""Explanation figures as images (BGR uint8 arrays) drawn with OpenCV and numpy only: a signed
bar chart, labelled heatmaps, and zone / pixel overlays beside the picture. No plotting library,
so `amm explain` needs nothing beyond the model's own stack."""

from __future__ import annotations

import cv2
import numpy as np

FONT = cv2.FONT_HERSHEY_SIMPLEX
SCALE = 0.42
INK = (40, 40, 40)
WHITE = (255, 255, 255)
POSITIVE = (40, 40, 214)  # BGR red: pushes towards the explained class
NEGATIVE = (200, 110, 30)  # BGR blue: pushes away from it
ROW = 20  # px per bar / heatmap row label line
LABEL_CHARS = 22


def ascii_label(text: str, limit: int = LABEL_CHARS) -> str:
    """OpenCV's Hershey fonts draw ASCII only: other characters become '?', long ones are cut."""
    clean = "".join(c if 32 <= ord(c) < 127 else "?" for c in str(text))
    return clean if len(clean) <= limit else clean[: limit - 1] + "~"


def _text(canvas: np.ndarray, text: str, x: int, y: int, colour=INK, scale=SCALE) -> None:
    cv2.putText(canvas, text, (x, y), FONT, scale, colour, 1, cv2.LINE_AA)


def _text_width(text: str, scale: float = SCALE) -> int:
    return cv2.getTextSize(text, FONT, scale, 1)[0][0]


def titled(image: np.ndarray, title: str) -> np.ndarray:
    """The image under a one-line title band."""
    label = ascii_label(title, 120)
    width = max(image.shape[1], _text_width(label, 0.5) + 12)
    band = np.full((28, width, 3), 255, np.uint8)
    _text(band, label, 6, 19, scale=0.5)
    body = np.pad(image, ((0, 0), (0, width - image.shape[1]), (0, 0)), constant_values=255)
    return np.vstack([band, body])


def bar_chart(labels: list[str], values: list[float], title: str, width: int = 560) -> np.ndarray:
    """Horizontal bars, one per label, red for positive and blue for negative values."""
    names = [ascii_label(label) for label in labels]
    left = max([_text_width(n) for n in names] + [40]) + 12
    canvas = np.full((ROW * max(len(values), 1) + 12, width, 3), 255, np.uint8)
    span = max((abs(v) for v in values), default=0.0) or 1.0
    has_negative = any(v < 0 for v in values)
    zero = left + ((width - left - 70) // 2 if has_negative else 0)
    half = (width - left - 70) // (2 if has_negative else 1)
    for row, (name, value) in enumerate(zip(names, values, strict=True)):
        y = 6 + row * ROW
        _text(canvas, name, left - 6 - _text_width(name), y + 14)
        end = zero + int(round(value / span * half))
        colour = POSITIVE if value >= 0 else NEGATIVE
        cv2.rectangle(canvas, (min(zero, end), y + 3), (max(zero, end), y + ROW - 3), colour, -1)
        _text(canvas, f"{value:+.3f}", max(zero, end) + 4, y + 14, scale=0.36)
    cv2.line(canvas, (zero, 2), (zero, canvas.shape[0] - 2), INK, 1)
    return titled(canvas, title)


def diverging_colours(values: np.ndarray) -> np.ndarray:
    """Signed values -> BGR: blue (negative) through white (0) to red (positive), symmetric."""
    span = float(np.abs(values).max()) or 1.0
    t = np.clip(values / span, -1.0, 1.0)[..., None]  # (..., 1)
    white = np.array(WHITE, np.float32)
    towards = np.where(t >= 0, np.array(POSITIVE, np.float32), np.array(NEGATIVE, np.float32))
    return (white + np.abs(t) * (towards - white)).astype(np.uint8)


def sequential_colours(values: np.ndarray) -> np.ndarray:
    """Non-negative values (attention weights) -> BGR through OpenCV's viridis map."""
    span = float(values.max()) or 1.0
    scaled = (np.clip(values / span, 0.0, 1.0) * 255).astype(np.uint8)
    return cv2.applyColorMap(scaled, cv2.COLORMAP_VIRIDIS)


def heatmap(
    matrix: np.ndarray, rows: list[str], columns: list[str], title: str, signed: bool = False
) -> np.ndarray:
    """A labelled heatmap: row names on the left, column names written upwards on top."""
    matrix = np.asarray(matrix, np.float32).reshape(len(rows), len(columns))
    cell = int(np.clip(480 // max(len(columns), 1), 10, 28))
    cell_h = max(cell, 14)
    colours = diverging_colours(matrix) if signed else sequential_colours(matrix)
    grid = cv2.resize(colours.reshape(len(rows), len(columns), 3),
                      (cell * len(columns), cell_h * len(rows)), interpolation=cv2.INTER_NEAREST)
    row_names = [ascii_label(r) for r in rows]
    col_names = [ascii_label(c) for c in columns]
    left = max([_text_width(n) for n in row_names] + [20]) + 10
    top = max([_text_width(n) for n in col_names] + [20]) + 10
    canvas = np.full((top + grid.shape[0] + 6, left + grid.shape[1] + 6, 3), 255, np.uint8)
    canvas[top : top + grid.shape[0], left : left + grid.shape[1]] = grid
    for i, name in enumerate(row_names):
        _text(canvas, name, left - 5 - _text_width(name), top + i * cell_h + cell_h // 2 + 5)
    header = np.full((cell * len(columns), top, 3), 255, np.uint8)  # drawn sideways, then turned
    for j, name in enumerate(col_names):
        _text(header, name, 5, j * cell + cell // 2 + 5)
    canvas[:top, left : left + grid.shape[1]] = np.rot90(header)
    scale = f"  (max {float(np.abs(matrix).max()):.3f})"
    return titled(canvas, title + scale)


def _fit(rgb: np.ndarray, height: int = 300) -> np.ndarray:
    """uint8 RGB -> BGR scaled to `height` rows, aspect kept."""
    width = max(int(round(rgb.shape[1] * height / rgb.shape[0])), 1)
    return cv2.cvtColor(cv2.resize(rgb, (width, height), interpolation=cv2.INTER_AREA),
                        cv2.COLOR_RGB2BGR)


def blend(base_bgr: np.ndarray, values: np.ndarray, alpha: float = 0.55) -> np.ndarray:
    """The picture under a diverging colour map of `values` (same H x W), signed."""
    colours = diverging_colours(values.astype(np.float32))
    return cv2.addWeighted(base_bgr, 1 - alpha, colours, alpha, 0)


def zone_overlay(rgb: np.ndarray, names: list[str], values: list[float], title: str) -> np.ndarray:
    """The image beside a copy tinted strip by strip (top to bottom) with the zone values."""
    base = _fit(rgb)
    bounds = np.linspace(0, base.shape[0], len(values) + 1).round().astype(int)
    field = np.zeros(base.shape[:2], np.float32)
    for value, top, bottom in zip(values, bounds[:-1], bounds[1:], strict=True):
        field[top:bottom] = value
    tinted = blend(base, field)
    for name, value, top in zip(names, values, bounds[:-1], strict=True):
        _text(tinted, f"{ascii_label(name)}: {value:+.3f}", 6, int(top) + 16, INK, 0.45)
        cv2.line(tinted, (0, int(top)), (tinted.shape[1], int(top)), WHITE, 1)
    return titled(_side_by_side(base, tinted), title)


def pixel_overlay(rgb: np.ndarray, pixels: np.ndarray, title: str) -> np.ndarray:
    """The image beside the pixel attribution blended over it (red for, blue against)."""
    base = _fit(rgb)
    field = cv2.resize(pixels.astype(np.float32), (base.shape[1], base.shape[0]))
    return titled(_side_by_side(base, blend(base, field)), title)


def _side_by_side(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    gap = np.full((left.shape[0], 8, 3), 255, np.uint8)
    return np.hstack([left, gap, right])


def stack(images: list[np.ndarray]) -> np.ndarray:
    """Images one under another on a white background, left aligned."""
    width = max(image.shape[1] for image in images)
    padded = [np.pad(im, ((0, 8), (0, width - im.shape[1]), (0, 0)), constant_values=255)
              for im in images]
    return np.vstack(padded)


def png_bytes(image: np.ndarray) -> bytes:
    ok, encoded = cv2.imencode(".png", image)
    if not ok:
        raise ValueError("could not encode a PNG figure")
    return encoded.tobytes()
