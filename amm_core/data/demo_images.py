"""Procedural 480x360 pictures for the demo posts: palette and content differ by content class.

Each class has its own palette and motifs (rain and a slumped figure, sun and a smile, ...);
positions, sizes, colours and noise are random, and every picture is marked "SYNTHETIC".
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

WIDTH, HEIGHT = 480, 360
SYNTHETIC_MARK = "SYNTHETIC"
JPEG_QUALITY = 72
AMBIGUOUS = "ambiguous"  # a picture that shows no class (demo_mgid.VAGUE_IMAGE)

Image = np.ndarray  # (H, W, 3) uint8, BGR
Colour = tuple[int, int, int]


def draw_picture(content_class: str, rng: np.random.Generator) -> Image:
    """A new BGR picture of `content_class` (demo_text.CONTENT_CLASSES, or AMBIGUOUS)."""
    img = _SCENES[content_class](rng)
    # Grain drawn at half resolution and upsampled: cheap, and it keeps the JPEGs small.
    grain = rng.standard_normal((HEIGHT // 2, WIDTH // 2, 3), dtype=np.float32) * 6.0
    grain = cv2.resize(grain, (WIDTH, HEIGHT), interpolation=cv2.INTER_LINEAR)
    img = np.clip(img.astype(np.float32) + grain, 0, 255).astype(np.uint8)
    _mark_synthetic(img)
    return img


def encode_jpeg(img: Image) -> bytes:
    ok, data = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:  # pragma: no cover - OpenCV always encodes a uint8 BGR array
        raise RuntimeError("OpenCV could not encode a demo picture")
    return data.tobytes()


def _mark_synthetic(img: Image) -> None:
    org = (WIDTH - 92, HEIGHT - 8)
    font = cv2.FONT_HERSHEY_SIMPLEX
    cv2.putText(img, SYNTHETIC_MARK, org, font, 0.45, (0, 0, 0), 3, cv2.LINE_AA)
    cv2.putText(img, SYNTHETIC_MARK, org, font, 0.45, (255, 255, 255), 1, cv2.LINE_AA)


# --- building blocks ---


def _jitter(rng: np.random.Generator, colour: Colour, spread: int = 18) -> Colour:
    shifted = np.clip(np.array(colour) + rng.integers(-spread, spread + 1, 3), 0, 255)
    return (int(shifted[0]), int(shifted[1]), int(shifted[2]))


def _gradient(rng: np.random.Generator, top: Colour, bottom: Colour, gain: float = 1.0) -> Image:
    """A vertical gradient between jittered colours, scaled by `gain` (brightness)."""
    top_c = np.array(_jitter(rng, top), dtype=np.float32)
    bottom_c = np.array(_jitter(rng, bottom), dtype=np.float32)
    t = np.linspace(0.0, 1.0, HEIGHT, dtype=np.float32)[:, None]
    column = (1 - t) * top_c + t * bottom_c  # (H, 3)
    img = np.repeat(column[:, None, :], WIDTH, axis=1) * gain
    return np.clip(img, 0, 255).astype(np.uint8)


def _point(
    rng: np.random.Generator, x: tuple[float, float], y: tuple[float, float]
) -> tuple[int, int]:
    """A random pixel with x, y drawn from the given fractions of the width and height."""
    return int(rng.uniform(*x) * WIDTH), int(rng.uniform(*y) * HEIGHT)


def _face(img: Image, centre: tuple[int, int], r: int, mood: str, skin: Colour) -> None:
    """A round face; `mood` is smile, frown, open (surprise), flat, angry or scared."""
    x, y = centre
    ink = (30, 30, 30)
    cv2.circle(img, centre, r, skin, -1, cv2.LINE_AA)
    eye_r = max(2, r // (5 if mood in ("open", "scared") else 8))
    for ex in (x - r // 3, x + r // 3):
        cv2.circle(img, (ex, y - r // 4), eye_r, ink, -1, cv2.LINE_AA)
    mouth_y, w = y + r // 3, r // 2
    if mood == "smile":
        cv2.ellipse(img, (x, mouth_y - r // 8), (w, r // 4), 0, 10, 170, ink, 2, cv2.LINE_AA)
    elif mood in ("frown", "angry"):
        cv2.ellipse(img, (x, mouth_y + r // 6), (w, r // 5), 0, 200, 340, ink, 2, cv2.LINE_AA)
    elif mood == "open":
        cv2.ellipse(img, (x, mouth_y), (r // 5, r // 4), 0, 0, 360, ink, -1, cv2.LINE_AA)
    elif mood == "scared":
        xs = np.linspace(x - w, x + w, 7).astype(np.int32)
        ys = (mouth_y + np.where(np.arange(7) % 2 == 0, -3, 3)).astype(np.int32)
        cv2.polylines(img, [np.stack([xs, ys], 1)], False, ink, 2, cv2.LINE_AA)
    else:
        cv2.line(img, (x - w, mouth_y), (x + w, mouth_y), ink, 2, cv2.LINE_AA)
    if mood in ("angry", "open", "scared"):
        tilt = r // 4 if mood == "angry" else -r // 6
        for side in (-1, 1):
            inner = (x + side * r // 8, y - r // 2 + tilt)
            outer = (x + side * r // 2, y - r // 2 - tilt)
            cv2.line(img, inner, outer, ink, 2, cv2.LINE_AA)


def _figure(
    img: Image, base: tuple[int, int], h: int, pose: str, colour: Colour
) -> tuple[tuple[int, int], int]:
    """A simple person with feet at `base`, height `h`; returns the head centre and radius."""
    x, y = base
    r, t = max(6, h // 8), max(2, h // 18)
    if pose == "slumped":  # sitting, back curved, head hanging forward
        hip = (x, y - h // 4)
        cv2.ellipse(img, (x + h // 10, y - h // 2), (h // 6, h // 4), 25, 0, 360, colour, -1)
        cv2.line(img, hip, (x + h // 3, y - h // 5), colour, t)
        cv2.line(img, (x + h // 3, y - h // 5), (x + h // 3, y), colour, t)
        head = (x + h // 4, y - h * 5 // 8)
    else:
        neck, hip = (x, y - h * 3 // 4), (x, y - h // 3)
        cv2.line(img, neck, hip, colour, t * 2)
        for side in (-1, 1):
            cv2.line(img, hip, (x + side * h // 6, y), colour, t)
            hand_y = {"arms_up": y - h, "cower": y - h // 2}.get(pose, y - h // 3)
            cv2.line(img, neck, (x + side * h // 4, hand_y), colour, t)
        head = (x, y - h * 3 // 4 - r)
    return head, r


# --- one scene per content class ---


def _depressed(rng: np.random.Generator) -> Image:
    img = _gradient(rng, (95, 80, 70), (55, 50, 48), gain=rng.uniform(0.55, 1.0))
    wx, wy = _point(rng, (0.05, 0.45), (0.08, 0.25))
    cv2.rectangle(img, (wx, wy), (wx + 140, wy + 110), _jitter(rng, (110, 100, 95)), -1)
    for _ in range(int(rng.integers(60, 140))):  # rain streaks
        x0, y0 = _point(rng, (0, 1), (0, 1))
        cv2.line(img, (x0, y0), (x0 - 6, y0 + 22), (150, 140, 130), 1, cv2.LINE_AA)
    base = _point(rng, (0.3, 0.75), (0.8, 0.95))
    head, r = _figure(img, base, int(rng.integers(120, 190)), "slumped", (40, 38, 36))
    _face(img, head, r, "frown", (120, 125, 135))
    return img


def _happiness(rng: np.random.Generator) -> Image:
    img = _gradient(rng, (90, 210, 255), (70, 190, 110), gain=rng.uniform(0.9, 1.1))
    sun = _point(rng, (0.1, 0.9), (0.08, 0.25))
    radius = int(rng.integers(28, 48))
    for angle in np.linspace(0, 2 * np.pi, 12, endpoint=False):
        reach = 1.8 * radius
        tip = (int(sun[0] + reach * np.cos(angle)), int(sun[1] + reach * np.sin(angle)))
        cv2.line(img, sun, tip, (40, 220, 255), 3, cv2.LINE_AA)
    cv2.circle(img, sun, radius, (30, 235, 255), -1, cv2.LINE_AA)
    for _ in range(int(rng.integers(2, 6))):  # balloons
        colour = _jitter(rng, (60, 80, 240), 80)
        cv2.circle(img, _point(rng, (0.05, 0.95), (0.3, 0.6)), 14, colour, -1, cv2.LINE_AA)
    base = _point(rng, (0.3, 0.7), (0.85, 0.95))
    head, r = _figure(img, base, int(rng.integers(140, 200)), "arms_up", (60, 90, 200))
    _face(img, head, r + 6, "smile", (150, 200, 250))
    return img


def _fear(rng: np.random.Generator) -> Image:
    img = _gradient(rng, (70, 30, 55), (25, 35, 25), gain=rng.uniform(0.6, 1.0))
    shadow = _point(rng, (0.55, 0.85), (0.3, 0.5))
    axes = (int(rng.integers(70, 110)), int(rng.integers(120, 170)))
    cv2.ellipse(img, shadow, axes, 0, 0, 360, (10, 10, 10), -1, cv2.LINE_AA)
    for k in range(4):  # claws
        start = (shadow[0] - axes[0] + 10, shadow[1] - 40 + 25 * k)
        cv2.line(img, start, (start[0] - 60, start[1] + 15), (10, 10, 10), 5, cv2.LINE_AA)
    base = _point(rng, (0.12, 0.4), (0.85, 0.95))
    head, r = _figure(img, base, int(rng.integers(90, 130)), "cower", (90, 90, 110))
    _face(img, head, r + 4, "scared", (170, 190, 200))
    return img


def _surprise(rng: np.random.Generator) -> Image:
    img = _gradient(rng, (235, 205, 90), (200, 90, 225), gain=rng.uniform(0.9, 1.1))
    centre = _point(rng, (0.35, 0.65), (0.35, 0.55))
    angles = np.linspace(0, 2 * np.pi, 24, endpoint=False)
    radii = np.where(np.arange(24) % 2 == 0, rng.uniform(150, 190), 80)
    star = np.stack([centre[0] + radii * np.cos(angles), centre[1] + radii * np.sin(angles)], 1)
    cv2.fillPoly(img, [star.astype(np.int32)], (60, 240, 250), cv2.LINE_AA)
    for _ in range(int(rng.integers(20, 50))):  # confetti
        colour = _jitter(rng, (128, 128, 128), 127)
        cv2.circle(img, _point(rng, (0, 1), (0, 1)), 4, colour, -1)
    _face(img, centre, int(rng.integers(45, 65)), "open", (150, 200, 245))
    for k in range(int(rng.integers(1, 4))):
        x = int(centre[0] + 110 + 22 * k)
        cv2.line(img, (x, 40), (x, 90), (20, 20, 200), 6)
        cv2.circle(img, (x, 105), 4, (20, 20, 200), -1)
    return img


def _anger(rng: np.random.Generator) -> Image:
    img = _gradient(rng, (30, 45, 205), (20, 20, 95), gain=rng.uniform(0.75, 1.05))
    for _ in range(int(rng.integers(1, 4))):  # lightning
        x, y = _point(rng, (0.05, 0.95), (0.0, 0.1))
        points = [(x, y)]
        for _step in range(5):
            x, y = x + int(rng.integers(-30, 31)), y + int(rng.integers(30, 55))
            points.append((x, y))
        cv2.polylines(img, [np.array(points, np.int32)], False, (40, 230, 250), 4, cv2.LINE_AA)
    centre = _point(rng, (0.3, 0.7), (0.4, 0.6))
    _face(img, centre, int(rng.integers(50, 70)), "angry", (70, 80, 230))
    fist = (centre[0] + int(rng.choice([-1, 1])) * 95, centre[1] + 60)
    cv2.circle(img, fist, 22, (60, 70, 200), -1, cv2.LINE_AA)
    return img


def _neutral(rng: np.random.Generator) -> Image:
    img = _gradient(rng, (190, 195, 200), (150, 160, 168), gain=rng.uniform(0.7, 1.0))
    for x in range(0, WIDTH, int(rng.integers(50, 90))):  # wall panels
        cv2.line(img, (x, 0), (x, HEIGHT * 2 // 3), (170, 175, 180), 1)
    desk_y = int(rng.integers(230, 270))
    cv2.rectangle(img, (0, desk_y), (WIDTH, desk_y + 20), _jitter(rng, (60, 90, 130)), -1)
    lx = int(rng.integers(40, 320))
    cv2.rectangle(img, (lx, desk_y - 60), (lx + 90, desk_y), (90, 90, 95), -1)
    head = _point(rng, (0.3, 0.75), (0.3, 0.45))
    cv2.rectangle(img, (head[0] - 35, head[1] + 40), (head[0] + 35, desk_y), (110, 100, 90), -1)
    _face(img, head, int(rng.integers(35, 50)), "flat", (150, 180, 210))
    return img


def _archive(rng: np.random.Generator) -> Image:
    grey = _gradient(rng, (170, 170, 170), (90, 90, 90), gain=rng.uniform(0.7, 1.0))
    y = int(rng.integers(300, 340))
    for k in range(int(rng.integers(6, 11))):  # a queue of people
        x = 30 + k * 45 + int(rng.integers(-8, 9))
        _figure(grey, (x, y - k * 6), int(rng.integers(110, 150)) - k * 5, "standing", (45, 45, 45))
    for _ in range(int(rng.integers(2, 6))):  # scratches
        x = int(rng.integers(0, WIDTH))
        cv2.line(grey, (x, 0), (x + int(rng.integers(-10, 11)), HEIGHT), (200, 200, 200), 1)
    luminance = grey[..., :1].astype(np.float32)
    sepia = luminance * np.array([[[0.70, 0.88, 1.05]]], np.float32)  # BGR tint
    return np.clip(sepia * _VIGNETTE, 0, 255).astype(np.uint8)


def _ambiguous(rng: np.random.Generator) -> Image:
    """A look-alike stock portrait: a person in a room, any palette, an unreadable face.

    Nothing in it tells the class (like many MGID pictures); the caption has to.
    """
    hue = np.array(_jitter(rng, (128, 128, 128), 100))
    img = _gradient(rng, tuple(int(v) for v in hue), tuple(int(v) for v in hue * 0.6),
                    gain=rng.uniform(0.6, 1.05))
    wx, wy = _point(rng, (0.05, 0.6), (0.05, 0.3))
    cv2.rectangle(img, (wx, wy), (wx + 120, wy + 100), _jitter(rng, (150, 150, 150), 60), -1)
    base = _point(rng, (0.3, 0.7), (0.85, 0.95))
    pose = ("standing", "slumped", "arms_up", "cower")[int(rng.integers(4))]
    head, r = _figure(img, base, int(rng.integers(120, 190)), pose, _jitter(rng, (70, 70, 70), 40))
    _face(img, head, r + 4, "flat", _jitter(rng, (150, 170, 200), 40))
    return img


def _vignette() -> np.ndarray:
    yy, xx = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
    fall = ((xx - WIDTH / 2) / WIDTH) ** 2 + ((yy - HEIGHT / 2) / HEIGHT) ** 2
    return (1.0 - 0.5 * fall)[..., None]  # (H, W, 1)


_VIGNETTE = _vignette()


_SCENES: dict[str, Callable[[np.random.Generator], Image]] = {
    "depressed": _depressed,
    "neutral": _neutral,
    "happiness": _happiness,
    "fear": _fear,
    "surprise": _surprise,
    "anger": _anger,
    "archive": _archive,
    AMBIGUOUS: _ambiguous,
}
