"""Upload -> stored prediction through the service the Upload page and `amm predict` use
(check, stage, predict, store), on a warm model. Printed, not asserted; target p50 <= 250 ms on
2 CPU cores.

    python bench/bench_upload.py [--uploads 30] [--size 640x480] [--home DIR --run RUN]

Without --home, a throw-away workspace gets a small run trained on synthetic features (the
latency does not depend on how well it learnt). Every upload is new content (a fresh text and a
fresh JPEG photo-sized image), so text and image features are computed, never read from the
cache; a second pass repeats one upload (dedupe path, cached features).
"""

from __future__ import annotations

import argparse
import io
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from amm_core.cli.model_data import load_run_predictor
from amm_core.cli.storage import Workspace, open_workspace
from amm_core.config import resolve_config, to_dict
from amm_core.dataset import FeatureItem
from amm_core.train import train_model
from amm_core.workspace import Settings
from app.upload_services import predict_upload
from db import runs as db_runs

BENCH_RUN = "bench-upload"


def photo(index: int, width: int, height: int) -> bytes:
    """A JPEG with smooth structure and noise (compresses like a photo), different per index."""
    rng = np.random.default_rng(index)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    phase = rng.uniform(0, 6.28, 3)
    rgb = np.stack([127 + 100 * np.sin(x / (20 + 7 * c) + y / 31 + phase[c]) for c in range(3)], -1)
    rgb += rng.normal(0, 12, rgb.shape)
    buffer = io.BytesIO()
    Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8)).save(buffer, "JPEG", quality=88)
    return buffer.getvalue()


def synthetic_items(n: int) -> list[FeatureItem]:
    gen = torch.Generator().manual_seed(0)
    return [FeatureItem(text=torch.randn(12, 384, generator=gen), tokens=["t"] * 12,
                        gender="unknown", visual=torch.randn(4, 1280, generator=gen),
                        visual_mask=torch.ones(4, dtype=torch.bool),
                        colour=torch.rand(48, generator=gen),
                        labels={"depression": i % 2, "emotion": i % 6}) for i in range(n)]


def bench_workspace(root: Path) -> Workspace:
    """A workspace holding one small completed run trained on synthetic features."""
    workspace = open_workspace(Settings.resolve(root / "home"))
    config = resolve_config("mgid", {"train": {"epochs": 1, "patience": 1000}})
    genders = {g: torch.zeros(384) for g in ("female", "male", "unknown")}
    labels = {"emotion": ["depressed", "neutral", "happiness", "fear", "surprise", "anger"]}
    train_model(synthetic_items(128), synthetic_items(32), config, labels, genders,
                root / "run")
    with workspace.sessions() as session, session.begin():
        run = db_runs.create_run(session, BENCH_RUN, config=to_dict(config),
                                 modalities=config.model.modalities,
                                 checkpoint_path=str(root / "run" / "best.pt"))
        db_runs.update_run(session, run.id, status="completed", progress=1.0)
    return workspace


def measure(workspace: Workspace, run: str, predictor, uploads: int,
            size: tuple[int, int]) -> tuple[list[float], list[float]]:
    """(service ms, model ms as the predictor reports it) per upload, each new content."""
    total, model = [], []
    for i in range(uploads):
        data = photo(1000 + i, *size)
        started = time.perf_counter()
        stored = predict_upload(workspace, run, predictor, text=f"cannot sleep again, day {i}",
                                media=data, media_name=f"photo-{i}.jpg", gender="female")
        total.append((time.perf_counter() - started) * 1000)
        model.append(stored.latency_ms)
    return total, model


def line(label: str, values: list[float]) -> str:
    p95 = float(np.percentile(values, 95))
    return f"{label:<34} p50 {statistics.median(values):6.0f} ms, p95 {p95:6.0f} ms"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--uploads", type=int, default=30)
    parser.add_argument("--size", default="640x480", help="image width x height")
    parser.add_argument("--home", help="an existing workspace (with --run)")
    parser.add_argument("--run", default=BENCH_RUN)
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))
    with tempfile.TemporaryDirectory() as tmp:
        workspace = (open_workspace(Settings.resolve(args.home)) if args.home
                     else bench_workspace(Path(tmp)))
        _, predictor = load_run_predictor(workspace, args.run)
        print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
              f"device {predictor.device}, run {args.run}, images {size[0]}x{size[1]} JPEG")
        for i in range(3):  # warm: encoders loaded, first-call allocations done
            predict_upload(workspace, args.run, predictor, text=f"warm up {i}",
                           media=photo(i, *size), media_name="warm.jpg")
        total, model = measure(workspace, args.run, predictor, args.uploads, size)
        print(line(f"upload -> stored prediction ({args.uploads})", total))
        print(line("  of which the model (features+AMM)", model))
        overhead = [t - m for t, m in zip(total, model, strict=True)]
        print(line("  check + stage + store", overhead))
        repeat = photo(1000, *size)
        again = []
        for _ in range(10):
            started = time.perf_counter()
            predict_upload(workspace, args.run, predictor, text="cannot sleep again, day 0",
                           media=repeat, media_name="photo-0.jpg", gender="female")
            again.append((time.perf_counter() - started) * 1000)
        print(line("same upload again (10, cached)", again))


if __name__ == "__main__":
    main()
