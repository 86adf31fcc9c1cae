"""Explanation latency on the demo runs (printed, not asserted):

    PYTHONPATH=. python bench/bench_explain.py [--home DIR] [--run demo-amm] [--threads N]

Needs a workspace with the demo runs (`amm demo`). Figures, all on a warm model:
- prediction p50 (one item, features already extracted; and a whole upload, features cached),
- token + zone attribution (`explain_item`, Integrated Gradients, 32 steps), target <= 3 s,
- pixel attribution (`pixel_attribution`, occlusion) at the run's zone mode and at the paper's
  480 x 360 strips ("crops"), target <= 20 s,
- DAIC token + window attribution on demo-amm-daic when present.
On a shared 2-core machine, compare `--threads 1` and `--threads 2`: with other jobs running,
intra-op threads contend and one thread was up to 4x faster (measured).
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import replace

import torch

from amm_core.cli.model_data import load_run_predictor
from amm_core.cli.output import CommandError
from amm_core.cli.storage import open_workspace
from amm_core.explain import explain_item, pixel_attribution
from amm_core.workspace import Settings

TEXT = "a lonely woman sitting by the window in the rain, nobody around"


def timed(function, repeats: int) -> tuple[float, float]:
    """(p50, max) seconds of `repeats` calls."""
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds), max(seconds)


def bench_image_run(workspace, run: str, args: argparse.Namespace) -> None:
    _, predictor = load_run_predictor(workspace, run)
    image = sorted((workspace.settings.demo_dir).rglob("*.jpg"))[0]
    item = predictor.upload_item(TEXT, image, "female")
    predictor.predict_items([item])  # warm
    p50, _ = timed(lambda: predictor.predict_items([item]), args.repeats * 5)
    print(f"prediction (model only)        p50 {p50 * 1000:7.1f} ms  [{run}, warm]")
    predictor.predict_upload(TEXT, image, "female")
    p50, _ = timed(lambda: predictor.predict_upload(TEXT, image, "female"), args.repeats)
    print(f"prediction (upload, cached)    p50 {p50 * 1000:7.1f} ms")
    explain_item(predictor, item, "depression")  # warm
    p50, worst = timed(lambda: explain_item(predictor, item, "depression"), args.repeats)
    print(f"token + zone attribution       p50 {p50:7.2f} s  max {worst:.2f} s  (target <= 3 s)")
    pixel_attribution(predictor, image, "depression", item=item)  # warm: loads EfficientNet
    for mode in ("rows", "crops"):
        features = replace(predictor.config.features, zone_mode=mode)
        configured = replace(predictor, config=replace(predictor.config, features=features))
        width, height = features.image_input_size()
        p50, worst = timed(lambda c=configured: pixel_attribution(c, image, "depression",
                                                                  item=item), args.pixel_repeats)
        print(f"pixel attribution ({mode:5s} {width}x{height}) p50 {p50:6.2f} s  max "
              f"{worst:.2f} s  (target <= 20 s)")


def bench_daic_run(workspace, run: str, args: argparse.Namespace) -> None:
    from amm_core.cli.model_data import load_dataset
    from amm_core.dataset import featurize_samples

    _, predictor = load_run_predictor(workspace, run)
    data = load_dataset(workspace, "demo-daic")
    sample = next(s for s in data.samples if s.media_kind == "openface")
    item = featurize_samples([sample], predictor.config.features, workspace.settings.cache_dir,
                             data.label_sets)[0]
    explain_item(predictor, item, "depression")
    p50, worst = timed(lambda: explain_item(predictor, item, "depression"), args.repeats)
    print(f"token + window attribution     p50 {p50:7.2f} s  max {worst:.2f} s  [{run}]")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--home", help="workspace with the demo runs (default: $AMM_HOME)")
    parser.add_argument("--run", default="demo-amm")
    parser.add_argument("--daic-run", default="demo-amm-daic")
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--pixel-repeats", type=int, default=2)
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's choice)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"cuda={torch.cuda.is_available()}")
    workspace = open_workspace(Settings.resolve(args.home))
    try:
        bench_image_run(workspace, args.run, args)
        bench_daic_run(workspace, args.daic_run, args)
    except CommandError as exc:
        raise SystemExit(f"{exc} (build the demo first: amm demo --home DIR)") from exc


if __name__ == "__main__":
    main()
