"""Batch feature extraction through the content-hash cache: texts, images and videos, with a
progress callback; the models load only when something is not cached (GPU when available)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from amm_core.config import DEFAULT_VISION_MODEL, GENDER_WORDS, FeatureConfig
from amm_core.features.cache import FeatureCache, cache_key, content_digest
from amm_core.features.colour import hsv_histogram, mean_hsv_histogram
from amm_core.features.device import choose_device
from amm_core.features.image import check_image_header, decode_resized, zone_features
from amm_core.features.text import (
    TextEncoder,
    TextFeatures,
    load_text_encoder,
    text_model_identity,
)
from amm_core.features.video import clip_features, read_clip_frames
from amm_core.features.vision import VisionEncoder, load_vision_encoder

Progress = Callable[[int, int], None]  # (items done, items in total)
ImageSource = str | Path | tuple[str, bytes]  # a file, or (name for messages, its bytes)
# Bump a version whenever an extractor's output changes for the same input and config.
TEXT_EXTRACTOR, TEXT_VERSION = "text", "1"
# 3: large JPEGs decode at a reduced DCT scale; 4: 16-bit greyscale scaled, no longer clipped
IMAGE_EXTRACTOR, IMAGE_VERSION = "image", "4"
VIDEO_EXTRACTOR, VIDEO_VERSION = "video", "1"
TEXT_BATCH = 64  # MODEL.md section 9
# Measured on the 2-core CPU machines with the folded channels_last network: 8 beats 4 and 16.
CPU_VISION_BATCH = 8
_DECODE_THREADS = 2
_Decoded = tuple[np.ndarray, torch.Tensor] | str  # (network input, colour) or the refusal


@dataclass(frozen=True)
class VisualFeatures:
    """`steps` (n_zones or n_clips, 1280) float32 and `colour` (3 * hsv_bins,) float32."""

    steps: torch.Tensor
    colour: torch.Tensor

    def as_entry(self) -> dict[str, Any]:
        return {"steps": self.steps, "colour": self.colour}

    @classmethod
    def from_entry(cls, entry: dict[str, Any]) -> VisualFeatures:
        return cls(entry["steps"], entry["colour"])


def _select(config: FeatureConfig, names: tuple[str, ...]) -> dict[str, Any]:
    values = asdict(config)
    return {name: values[name] for name in names}


def text_params(config: FeatureConfig) -> dict[str, Any]:
    """The text model by what it is (text_model_identity), not by how its path was spelt."""
    return {"text_model": text_model_identity(config.text_model),
            "max_tokens": config.max_tokens}


def image_params(config: FeatureConfig) -> dict[str, Any]:
    names = ("image_width", "image_height", "rows_width", "rows_height", "n_zones", "zone_mode",
             "hsv_bins")
    return {"vision_model": DEFAULT_VISION_MODEL, **_select(config, names)}


def video_params(config: FeatureConfig) -> dict[str, Any]:
    names = ("image_width", "image_height", "n_clips", "frames_per_clip", "hsv_bins")
    return {"vision_model": DEFAULT_VISION_MODEL, **_select(config, names)}


class TextFeaturizer:
    """Texts -> TextFeatures through the cache; only the misses reach the model, in batches."""

    def __init__(
        self,
        config: FeatureConfig | None = None,
        cache: FeatureCache | None = None,
        device: str | torch.device | None = None,
        progress: Progress | None = None,
        batch_size: int = TEXT_BATCH,
        encoder: TextEncoder | None = None,
    ) -> None:
        self.config = config or FeatureConfig()
        self.cache = cache or FeatureCache(None)
        self.device = choose_device(device)
        self.progress = progress
        self.batch_size = batch_size
        self._encoder = encoder

    @property
    def encoder(self) -> TextEncoder:
        if self._encoder is None:
            config = self.config
            self._encoder = load_text_encoder(config.text_model, config.max_tokens, self.device)
        return self._encoder

    def __call__(self, texts: Sequence[str]) -> list[TextFeatures]:
        params = text_params(self.config)
        keys = [cache_key(content_digest(t), TEXT_EXTRACTOR, TEXT_VERSION, params) for t in texts]
        found: dict[str, TextFeatures] = {}
        for key in dict.fromkeys(keys):
            entry = self.cache.get(TEXT_EXTRACTOR, key, ("tokens", "token_features", "pooled"))
            if entry is not None:
                found[key] = TextFeatures.from_entry(entry)
        missing = [
            (key, text)
            for key, text in dict(zip(keys, texts, strict=True)).items()
            if key not in found
        ]
        done = len(texts) - len(missing)
        self._report(done, len(texts))
        for start in range(0, len(missing), self.batch_size):
            chunk = missing[start : start + self.batch_size]
            encoded = self.encoder.encode([text for _, text in chunk], self.batch_size)
            for (key, _), features in zip(chunk, encoded, strict=True):
                self.cache.put(TEXT_EXTRACTOR, key, features.as_entry())
                found[key] = features
            done += len(chunk)
            self._report(done, len(texts))
        return [found[key] for key in keys]

    def gender_embeddings(self) -> dict[str, torch.Tensor]:
        """`h^gen`: the pooled embedding of each of female / male / unknown (cached like text)."""
        encoded = self(list(GENDER_WORDS))
        return {word: features.pooled for word, features in zip(GENDER_WORDS, encoded, strict=True)}

    def _report(self, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(min(done, total), total)


class _VisualFeaturizer:
    """Shared plumbing: lazy encoder, batch size, error collection."""

    def __init__(
        self,
        config: FeatureConfig | None = None,
        cache: FeatureCache | None = None,
        device: str | torch.device | None = None,
        progress: Progress | None = None,
        batch_size: int | None = None,
        encoder: VisionEncoder | None = None,
    ) -> None:
        self.config = config or FeatureConfig()
        self.cache = cache or FeatureCache(None)
        self.device = choose_device(device)
        self.progress = progress
        cpu = self.device.type == "cpu"
        self.batch_size = batch_size or (CPU_VISION_BATCH if cpu else self.config.batch_size)
        self.errors: list[str] = []  # one line per skipped input (skip_errors=True)
        self._encoder = encoder

    @property
    def encoder(self) -> VisionEncoder:
        if self._encoder is None:
            self._encoder = load_vision_encoder(self.device)
        return self._encoder

    def _failed(self, message: str, skip_errors: bool) -> None:
        if not skip_errors:
            raise ValueError(message)
        self.errors.append(message)

    def _report(self, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(done, total)


def _source_bytes(source: ImageSource) -> tuple[str, bytes]:
    if isinstance(source, tuple):
        return source
    path = Path(source)
    try:
        return path.name, path.read_bytes()
    except OSError as exc:
        raise ValueError(f"{path.name}: cannot read file ({exc.strerror or exc})") from exc


@dataclass
class _Chunk:
    """One batch on its way: results so far, the misses' decodes in flight, refused inputs."""

    out: list[VisualFeatures | None]
    pending: dict[str, tuple[list[int], Future[_Decoded]]] = field(default_factory=dict)
    refused: list[tuple[int, str]] = field(default_factory=list)  # (input index, message)


class ImageFeaturizer(_VisualFeaturizer):
    """Images -> VisualFeatures (zones (n_zones, 1280) + HSV colour) through the cache.

    Pipelined: while the network runs on one batch, threads decode the next (JPEG DCT shortcut,
    resize, colour histogram), so decoding hides behind the forward.
    """

    def __init__(self, *args: Any, max_pixels: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_pixels = max_pixels or self.config.max_image_pixels

    def __call__(
        self, sources: Sequence[ImageSource], skip_errors: bool = False
    ) -> list[VisualFeatures | None]:
        """Bad inputs raise ValueError, or with `skip_errors` give None and a line in `errors`."""
        starts = range(0, len(sources), self.batch_size)
        batches = [sources[start : start + self.batch_size] for start in starts]
        results: list[VisualFeatures | None] = []
        with ThreadPoolExecutor(max_workers=_DECODE_THREADS) as pool:
            ahead = self._start(batches[0], pool) if batches else None
            for position in range(len(batches)):
                current = ahead
                following = position + 1 < len(batches)
                ahead = self._start(batches[position + 1], pool) if following else None
                results.extend(self._finish(current, skip_errors))
                self._report(len(results), len(sources))
        return results

    def _start(self, sources: Sequence[ImageSource], pool: ThreadPoolExecutor) -> _Chunk:
        """Header checks and cache look-ups now; the misses' decodes go to the pool."""
        params = image_params(self.config)
        chunk = _Chunk([None] * len(sources))
        for index, source in enumerate(sources):
            try:
                name, data = _source_bytes(source)
                check_image_header(data, name, self.max_pixels)  # cached or not: same verdict
            except ValueError as exc:
                chunk.refused.append((index, str(exc)))
                continue
            key = cache_key(content_digest(data), IMAGE_EXTRACTOR, IMAGE_VERSION, params)
            if key in chunk.pending:
                chunk.pending[key][0].append(index)
                continue
            entry = self.cache.get(IMAGE_EXTRACTOR, key, ("steps", "colour"))
            if entry is not None:
                chunk.out[index] = VisualFeatures.from_entry(entry)
            else:
                chunk.pending[key] = ([index], pool.submit(self._decode, name, data))
        return chunk

    def _decode(self, name: str, data: bytes) -> _Decoded:
        try:
            rgb = decode_resized(data, name, self.config.image_input_size(), self.max_pixels)
        except ValueError as exc:
            return str(exc)
        return rgb, _colour(rgb, self.config.hsv_bins)

    def _finish(self, chunk: _Chunk | None, skip_errors: bool) -> list[VisualFeatures | None]:
        """Refusals in input order (the first raises without `skip_errors`), then one forward."""
        assert chunk is not None
        good: list[tuple[str, np.ndarray, torch.Tensor, list[int]]] = []
        refused = list(chunk.refused)
        for key, (indices, future) in chunk.pending.items():
            result = future.result()
            if isinstance(result, str):
                refused.append((indices[0], result))
            else:
                good.append((key, *result, indices))
        for _, message in sorted(refused):
            self._failed(message, skip_errors)
        if good:
            images = np.stack([rgb for _, rgb, _, _ in good])  # (B, H, W, 3)
            config = self.config
            zones = zone_features(self.encoder, images, config.n_zones, config.zone_mode)
            for i, (key, _, colour, indices) in enumerate(good):
                features = VisualFeatures(zones[i].clone(), colour)
                self.cache.put(IMAGE_EXTRACTOR, key, features.as_entry())
                for index in indices:
                    chunk.out[index] = features
        return chunk.out


def _colour(rgb: np.ndarray, bins: int) -> torch.Tensor:
    return torch.from_numpy(hsv_histogram(rgb, bins))


class VideoFeaturizer(_VisualFeaturizer):
    """Video files -> VisualFeatures (clips (n_clips, 1280) + mean HSV colour) through the cache."""

    def __call__(
        self, paths: Sequence[str | Path], skip_errors: bool = False
    ) -> list[VisualFeatures | None]:
        results: list[VisualFeatures | None] = []
        for path in paths:
            try:
                results.append(self._one(Path(path)))
            except ValueError as exc:
                self._failed(str(exc), skip_errors)
                results.append(None)
            self._report(len(results), len(paths))
        return results

    def _one(self, path: Path) -> VisualFeatures:
        config = self.config
        try:
            digest = content_digest(path)
        except OSError as exc:
            raise ValueError(f"{path.name}: cannot read file ({exc.strerror or exc})") from exc
        key = cache_key(digest, VIDEO_EXTRACTOR, VIDEO_VERSION, video_params(config))
        entry = self.cache.get(VIDEO_EXTRACTOR, key, ("steps", "colour"))
        if entry is not None:
            return VisualFeatures.from_entry(entry)
        frames = read_clip_frames(
            path, config.n_clips, config.frames_per_clip, config.image_width, config.image_height
        )  # (n_clips, f, H, W, 3)
        steps = clip_features(self.encoder, frames, self.batch_size)
        flat = frames.reshape(-1, *frames.shape[2:])
        colour = torch.from_numpy(mean_hsv_histogram(flat, config.hsv_bins))
        features = VisualFeatures(steps, colour)
        self.cache.put(VIDEO_EXTRACTOR, key, features.as_entry())
        return features
