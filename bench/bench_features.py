"""Feature throughput on this machine (printed, not asserted):

    python bench/bench_features.py [--images 40] [--texts 500]

texts/s; images/s for the two zone modes ("rows": one forward at 224x168, feature-map rows pooled;
"crops": the paper's four 480x90 strips), the median of `--repeats` runs after a warm-up batch,
with where one image's time goes (decode + resize + colour, the network); and the cache: a cached
re-run vs the first run.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from amm_core.config import FeatureConfig
from amm_core.data.demo_mgid import write_mgid_demo
from amm_core.features.cache import FeatureCache
from amm_core.features.colour import hsv_histogram
from amm_core.features.extract import CPU_VISION_BATCH, ImageFeaturizer, TextFeaturizer
from amm_core.features.image import decode_resized, zone_features
from amm_core.features.vision import load_vision_encoder


def rate(n: int, fn) -> tuple[float, float]:
    started = time.perf_counter()
    fn()
    seconds = time.perf_counter() - started
    return n / seconds, seconds


def median_rate(n: int, fn, repeats: int) -> float:
    return statistics.median(rate(n, fn)[0] for _ in range(repeats))


def breakdown(config: FeatureConfig, paths: list[Path]) -> str:
    """Per image, single-threaded decode (JPEG DCT shortcut, resize, HSV) vs the network."""
    encoder = load_vision_encoder("cpu")
    size = config.image_input_size()
    started = time.perf_counter()
    rgbs = [decode_resized(p.read_bytes(), p.name, size) for p in paths]
    colours = [hsv_histogram(rgb) for rgb in rgbs]
    decode = (time.perf_counter() - started) / len(colours) * 1000
    batch = np.stack(rgbs[:CPU_VISION_BATCH])
    zone_features(encoder, batch, config.n_zones, config.zone_mode)  # this shape's warm-up
    started = time.perf_counter()
    zone_features(encoder, batch, config.n_zones, config.zone_mode)
    network = (time.perf_counter() - started) / len(batch) * 1000
    return f"decode {decode:.1f} ms + network {network:.1f} ms per image"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=40)
    parser.add_argument("--texts", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"cuda={torch.cuda.is_available()}")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        posts = write_mgid_demo(root / "csv", root / "img", 11, max(args.images, 20))
        paths = sorted((root / "img").glob("*.jpg"))[: args.images]
        texts = [f"{p.text} #{i}" for i, p in enumerate(posts * (args.texts // len(posts) + 1))]
        texts = texts[: args.texts]
        TextFeaturizer(FeatureConfig(), FeatureCache(None))(["warm up the model"])
        per_s, _ = rate(len(texts), lambda: TextFeaturizer(FeatureConfig(), FeatureCache(None))(
            texts))
        print(f"text features            {per_s:8.1f} texts/s ({len(texts)} captions)")
        for mode in ("rows", "crops"):
            config = replace(FeatureConfig(), zone_mode=mode)
            ImageFeaturizer(config, FeatureCache(None))(paths[:CPU_VISION_BATCH])
            per_s = median_rate(len(paths), lambda c=config: ImageFeaturizer(
                c, FeatureCache(None))(paths), args.repeats)
            print(f"image zones [{mode:5}]     {per_s:8.1f} images/s ({len(paths)} images; "
                  f"{breakdown(config, paths)})")
        cache = FeatureCache(root / "cache")
        _, miss = rate(len(paths), lambda: ImageFeaturizer(FeatureConfig(), cache)(paths))
        _, hit = rate(len(paths), lambda: ImageFeaturizer(FeatureConfig(), cache)(paths))
        print(f"cache: first run {miss:.2f} s, cached re-run {hit:.3f} s -> {miss / hit:.0f}x")


if __name__ == "__main__":
    main()
