"""Pixel-level attribution: EfficientNet runs inside the attributed graph (image -> zones -> AMM).

Occlusion (default) greys out a sliding window and records the drop of the target logit; IG
integrates gradients from a grey image. Text, gender and colour are held fixed at the explained
item's values. The map comes back at the image's own size.

Window choice (2-core CPU machines, bench/bench_explain.py): the grid of window positions is
fixed per zone mode: `rows` (224 x 168) 13 x 11 positions = 143 evaluations of windows 32 x 28 px,
`crops` (the paper's 480 x 360 strips) 9 x 8 positions = 72 evaluations of 96 x 80 px windows,
where only the 1-2 strips a window touches go back through EfficientNet. Windows overlap by half
(stride = window / 2) and tile the input exactly, so every pixel is covered. Evaluations run 4 at
a time on the CPU (batch 1-4 costs the same per image there; MODEL.md section 9), 32 on a GPU.
Measured on a quiet machine: rows 5.3 s, crops 4.9 s (2 threads; 7.5 / 7.7 s on 1 thread); with
other jobs sharing the cores it took 7-10 s on 1 thread, so a finer grid was not taken. A fixed
grid (not one sized from a timing) keeps the map the same on every machine.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from PIL import Image

from amm_core.dataset import FeatureItem, collate

if TYPE_CHECKING:
    from amm_core.predict import Predictor

Progress = Callable[[float], None]  # fraction done, 0..1
ImageInput = Image.Image | np.ndarray | str | Path | bytes
METHODS = ("occlusion", "ig")
OCCLUSION_GRID = {"rows": (13, 11), "crops": (9, 8)}  # window positions across x down
IG_STEPS = 16
CPU_BATCH, GPU_BATCH = 4, 32  # evaluations per forward (CPU: 1-4 within 8 %, MODEL.md 9)


def occlusion_window(size: int, positions: int) -> tuple[int, int]:
    """(window, stride) with `positions` windows tiling `size` pixels exactly, half overlapping."""
    positions = max(1, min(positions, size))
    stride = size // (positions + 1)
    if positions == 1 or stride == 0:
        return size, max(size, 1)
    return size - (positions - 1) * stride, stride


def as_rgb(image: ImageInput) -> Image.Image:
    """A PIL image, path, bytes or uint8 (H, W, 3) array -> RGB PIL image (ValueError if bad)."""
    from amm_core.features.image import read_image, read_image_file

    if isinstance(image, Image.Image):
        return image.convert("RGB")
    if isinstance(image, np.ndarray):
        if image.ndim != 3 or image.shape[2] != 3:
            raise ValueError(f"image array must be (H, W, 3), got {image.shape}")
        return Image.fromarray(image.astype(np.uint8))
    if isinstance(image, bytes):
        return read_image(image, "image")
    return read_image_file(Path(image))


def pixel_attribution(
    predictor: Predictor,
    image: ImageInput,
    task: str,
    target: str | int | None = None,
    method: str = "occlusion",
    progress: Progress | None = None,
    *,
    item: FeatureItem | None = None,
) -> np.ndarray:
    """(H, W) float32 attribution of the target logit to the image's pixels (H, W: its size).

    `item` is the explained item whose text and gender stay fixed (None: empty text, unknown
    gender). Positive = the pixel pushes towards `target`.
    """
    from amm_core.explain import class_names, resolve_target

    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, not {method!r}")
    _check_image_run(predictor, task)
    picture = as_rgb(image)  # full size: the map comes back at this size, for the overlay
    rgb = network_input(image, picture, predictor.config.features.image_input_size())
    forward, x = _image_graph(predictor, rgb, task, item)
    with torch.no_grad():
        logits = forward(x)
    index = resolve_target(class_names(predictor, task, logits.shape[-1]), target, logits[0])
    batch = CPU_BATCH if predictor.device.type == "cpu" else GPU_BATCH
    if method == "occlusion":
        attr = _occlusion(forward, x, index, batch, predictor.config.features.zone_mode, progress)
    else:
        attr = _integrated(forward, x, index, batch, progress)
    pixels = attr[0].mean(dim=0).detach().float().cpu().numpy()  # (h, w)
    import cv2

    return cv2.resize(pixels, picture.size, interpolation=cv2.INTER_LINEAR).astype(np.float32)


def network_input(image: ImageInput, picture: Image.Image, size: tuple[int, int]) -> np.ndarray:
    """The (h, w, 3) uint8 array the encoder sees: for bytes and files the very decode the
    feature cache used (`decode_resized`, with the JPEG DCT shortcut), so the explained input is
    the predicted one; an already decoded picture is resized as it is."""
    from amm_core.features.image import decode_resized, resize_rgb

    if isinstance(image, bytes):
        return decode_resized(image, "image", size)
    if isinstance(image, (str, Path)):
        return decode_resized(Path(image).read_bytes(), Path(image).name, size)
    return resize_rgb(picture, *size)


def _check_image_run(predictor: Predictor, task: str) -> None:
    from amm_core.predict import VISION_FEATURES
    from amm_core.train import model_tasks

    tasks = model_tasks(predictor.model)
    if task not in tasks:
        raise ValueError(f"this run predicts {', '.join(tasks)}, not {task!r}")
    if "image" not in predictor.modalities:
        raise ValueError(f"this run reads {predictor.config.model.modalities} only: no pixels "
                         "to attribute")
    if predictor.config.model.visual_dim != VISION_FEATURES:
        raise ValueError("this run reads OpenFace facial features (DAIC): no pixels to attribute")


def _image_graph(
    predictor: Predictor, rgb: np.ndarray, task: str, item: FeatureItem | None
) -> tuple[Callable[[torch.Tensor], torch.Tensor], torch.Tensor]:
    """forward(x (N, 3, h, w) normalised) -> task logits (N, C), and the image's own x."""
    from amm_core.features.colour import hsv_histogram
    from amm_core.features.image import zone_tensor
    from amm_core.features.vision import load_vision_encoder

    features, device = predictor.config.features, predictor.device
    encoder = load_vision_encoder(device)
    context = _context_item(predictor, item, rgb, features.n_zones, hsv_histogram)
    batch = collate([context], predictor.genders, predictor.config.model).to(device)
    mean, std = (t.to(device) for t in (predictor.normaliser.mean, predictor.normaliser.std))
    model = predictor.model.eval()

    x0 = encoder.input(rgb)
    zone_features = (_strip_cached(encoder.model, x0, features.n_zones)
                     if features.zone_mode == "crops" else
                     lambda x: zone_tensor(encoder.model, x, features.n_zones, features.zone_mode))

    def forward(x: torch.Tensor) -> torch.Tensor:
        n = x.shape[0]
        zones = (zone_features(x) - mean) / std
        fixed = (batch.text, batch.text_mask, batch.gender, batch.colour)
        text, text_mask, gender, colour = (t.expand(n, *t.shape[1:]) for t in fixed)
        steps = torch.ones(n, zones.shape[1], dtype=torch.bool, device=x.device)
        has_visual = torch.ones(n, dtype=torch.bool, device=x.device)
        return model.task_logits(text, zones, text_mask, gender, steps, colour, has_visual, task)

    return forward, x0


def _strip_cached(
    model: torch.nn.Module, x0: torch.Tensor, n_zones: int
) -> Callable[[torch.Tensor], torch.Tensor]:
    """Paper zones ("crops") where only the strips a perturbation touched are recomputed.

    Each strip is its own EfficientNet input, so an occlusion window changes only the strips it
    overlaps (1-2 of 4): measured ~2.5x fewer pixels through the network. Gradients (IG) take
    the plain path.
    """
    from amm_core.features.image import zone_bounds, zone_tensor

    with torch.no_grad():
        base = zone_tensor(model, x0, n_zones, "crops")  # (1, n_zones, 1280)
    bounds = zone_bounds(x0.shape[2], n_zones)

    def zones(x: torch.Tensor) -> torch.Tensor:
        if torch.is_grad_enabled():
            return zone_tensor(model, x, n_zones, "crops")
        out = base.expand(x.shape[0], -1, -1).clone()  # (N, n_zones, 1280)
        by_height: dict[int, list[tuple[int, int, int]]] = {}
        for zone, (top, bottom) in enumerate(bounds):
            changed = (x[:, :, top:bottom] != x0[:, :, top:bottom]).flatten(1).any(1)  # (N,)
            for row in changed.nonzero().flatten().tolist():
                by_height.setdefault(bottom - top, []).append((row, zone, top))
        for height, strips in by_height.items():
            crops = torch.stack([x[row, :, top:top + height] for row, _, top in strips])
            pooled = model.forward_features(crops).mean(dim=(2, 3))  # (k, 1280)
            for (row, zone, _), features in zip(strips, pooled, strict=True):
                out[row, zone] = features
        return out

    return zones


def _context_item(
    predictor: Predictor, item: FeatureItem | None, rgb: np.ndarray, n_zones: int, hsv: Any
) -> FeatureItem:
    """The fixed part of the input: the item's text and gender, this image's colour histogram."""
    dim = predictor.config.model.text_dim
    text = item.text if item is not None else torch.zeros(0, dim)
    return FeatureItem(
        text=text, tokens=list(item.tokens) if item else [],
        gender=item.gender if item else "unknown",
        visual=torch.zeros(n_zones, predictor.config.model.visual_dim),
        visual_mask=torch.ones(n_zones, dtype=torch.bool),
        colour=torch.from_numpy(hsv(rgb, predictor.config.features.hsv_bins)),
    )


def _counting(
    forward: Callable[[torch.Tensor], torch.Tensor], total: int, progress: Progress | None
) -> Callable[[torch.Tensor], torch.Tensor]:
    """forward that reports the fraction of the `total` evaluations done after each call."""
    done = [0]

    def wrapped(x: torch.Tensor, *args: Any) -> torch.Tensor:
        out = forward(x)
        done[0] += x.shape[0]
        if progress is not None:
            progress(min(done[0] / max(total, 1), 1.0))
        return out

    return wrapped


def _occlusion(
    forward: Callable, x: torch.Tensor, target: int, batch: int, mode: str,
    progress: Progress | None,
) -> torch.Tensor:
    from captum.attr import Occlusion

    across, down = OCCLUSION_GRID.get(mode, OCCLUSION_GRID["rows"])
    window_h, stride_h = occlusion_window(x.shape[2], down)
    window_w, stride_w = occlusion_window(x.shape[3], across)
    rows = (x.shape[2] - window_h) // stride_h + 1
    positions = rows * ((x.shape[3] - window_w) // stride_w + 1)
    counted = _counting(forward, positions + 1, progress)  # + the unperturbed evaluation
    with torch.no_grad():
        return Occlusion(counted).attribute(
            x, sliding_window_shapes=(3, window_h, window_w), strides=(3, stride_h, stride_w),
            baselines=0.0, target=target, perturbations_per_eval=batch)


def _integrated(
    forward: Callable, x: torch.Tensor, target: int, batch: int, progress: Progress | None
) -> torch.Tensor:
    from captum.attr import IntegratedGradients

    from amm_core.features.device import cudnn_flags

    counted = _counting(forward, IG_STEPS, progress)
    cudnn_off = cudnn_flags(enabled=False) if x.is_cuda else nullcontext()
    with cudnn_off:  # cuDNN's RNN backward refuses eval mode
        return IntegratedGradients(counted).attribute(
            x, baselines=torch.zeros_like(x), target=target, n_steps=IG_STEPS,
            internal_batch_size=batch)
