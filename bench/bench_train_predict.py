"""Training speed, upload latency and peak memory (printed, not asserted):

    python bench/bench_train_predict.py [--samples 3500] [--epochs 2] [--uploads 30]
                                        [--batch-sizes 32,128,256]

Training runs on synthetic cached features of MGID size (captions ~20 tokens, 4 zones) so it
measures the model alone; the 100-epoch time is extrapolated from the measured epochs (the first
includes oneDNN's one-off kernel set-up per sequence length). `--batch-sizes` also prints the
speed of one epoch at other batch sizes, for information only: training keeps the paper's 64.
One epoch of the previous loop (plain shuffle, unfused Adam) is timed in the same run as the
baseline for the current one (length-bucketed batches, fused Adam).
The compute floor: the matmul FLOPs of one epoch's training steps (forward + backward, counted by
torch's FlopCounterMode over the epoch's real bucketed batches; the fused oneDNN LSTM kernels,
which it has no formula for, are counted by `_count_onednn_lstm`: a gate matmul over input and
hidden state per step, twice that backward) divided by this machine's best measured matmul rate.
No implementation of the same model at the same sizes can train faster than that here. It is a
CPU figure: where training runs on a GPU it is not printed.
Upload latency is text + image through a warm `Predictor` (features computed, not cached).
"""

from __future__ import annotations

import argparse
import math
import resource
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from amm_core import train as amm_train
from amm_core.batches import SplitTensors
from amm_core.config import resolve_config
from amm_core.data.demo_mgid import write_mgid_demo
from amm_core.dataset import FeatureItem, VisualNormaliser
from amm_core.model import build_model
from amm_core.model.loss import weight_decay_groups
from amm_core.predict import Predictor
from amm_core.train import train_model


def synthetic_items(n: int, seed: int = 0) -> list[FeatureItem]:
    gen = torch.Generator().manual_seed(seed)
    items = []
    for i in range(n):
        tokens = int(torch.randint(8, 32, (1,), generator=gen))
        items.append(FeatureItem(
            text=torch.randn(tokens, 384, generator=gen), tokens=["t"] * tokens, gender="unknown",
            visual=torch.randn(4, 1280, generator=gen), visual_mask=torch.ones(4, dtype=bool),
            colour=torch.rand(48, generator=gen),
            labels={"depression": i % 2, "emotion": i % 6},
        ))
    return items


def epoch_speed(train: list[FeatureItem], genders: dict, folder: Path, window: int | None,
                fused: bool) -> float:
    """samples/s of one epoch without dev evaluation; `window=1, fused=False` is the loop as it
    was before length-bucketed batches and the fused Adam step (the same-run baseline)."""
    overrides: dict = {"epochs": 1}
    if window is not None:
        overrides["length_window"] = window
    config = resolve_config("mgid", {"train": overrides})
    original = amm_train.make_optimizer
    if not fused:
        amm_train.make_optimizer = lambda model, lr, wd: torch.optim.Adam(
            weight_decay_groups(model, wd), lr=lr)
    try:
        result = train_model(train, [], config, {"emotion": list("abcdef")}, genders, folder)
    finally:
        amm_train.make_optimizer = original
    return result.samples_per_second


def matmul_peak_gflops(repeats: int = 200) -> float:
    """The best of a large float32 matmul (1792 x 384 @ 384 x 192, the text GRU's input size)."""
    a, b = torch.randn(1792, 384), torch.randn(384, 192)
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(repeats // 5):
            a @ b
        best = min(best, (time.perf_counter() - started) / (repeats // 5))
    return 2 * 1792 * 384 * 192 / best / 1e9


def _count_onednn_lstm() -> None:
    """Teach FlopCounterMode the oneDNN LSTM layer (CPU): per step, the four gates' matmul over
    [input; hidden state], 2 * steps * 4h * (d_in + h) forward; backward twice that (gradients of
    the inputs and of the weights). Without it the task LSTMs count as free."""
    from torch.utils.flop_counter import flop_registry, register_flop_formula

    if torch.ops.aten.mkldnn_rnn_layer in flop_registry:
        return

    def gates(input_shape: tuple, w_ih: tuple, w_hh: tuple) -> int:
        return 2 * math.prod(input_shape[:-1]) * w_ih[0] * (w_ih[1] + w_hh[1])

    register_flop_formula(torch.ops.aten.mkldnn_rnn_layer)(
        lambda input_shape, w_ih, w_hh, *_, **__: gates(input_shape, w_ih, w_hh))
    register_flop_formula(torch.ops.aten.mkldnn_rnn_layer_backward)(
        lambda input_shape, w_ih, w_hh, *_, **__: 2 * gates(input_shape, w_ih, w_hh))


def epoch_gflop(train: list[FeatureItem], genders: dict) -> float:
    """Matmul GFLOP of one training epoch (forward + backward over its bucketed batches)."""
    from torch.utils.flop_counter import FlopCounterMode

    _count_onednn_lstm()

    config = resolve_config("mgid", {})
    normaliser = VisualNormaliser.fit(train, config.model.visual_dim)
    split = SplitTensors.build(train, genders, config.model, normaliser)
    model = build_model(config.model).train()
    generator = torch.Generator().manual_seed(0)
    tc = config.train
    with FlopCounterMode(display=False) as counter:
        for indices in split.bucketed_batches(generator, tc.batch_size, tc.length_window):
            model(split.batch(indices)).loss.backward()
    return counter.get_total_flops() / 1e9


def compute_floor(train: list[FeatureItem], genders: dict) -> str:
    gflop, peak_rate = epoch_gflop(train, genders), matmul_peak_gflops()
    floor = 100 * gflop / peak_rate
    return (f"compute floor: {gflop:.0f} GFLOP per epoch (matmuls, fwd + bwd) at this "
            f"machine's best {peak_rate:.0f} GFLOP/s -> 100 epochs >= {floor / 60:.1f} min")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=3500)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--uploads", type=int, default=30)
    parser.add_argument("--batch-sizes", default="", help="e.g. 32,128,256 (information only)")
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"cuda={torch.cuda.is_available()}")
    config = resolve_config("mgid", {"train": {"epochs": args.epochs, "patience": 1000}})
    genders = {g: torch.zeros(384) for g in ("female", "male", "unknown")}
    train, dev = synthetic_items(args.samples), synthetic_items(500, seed=1)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        result = train_model(train, dev, config, {"emotion": list("abcdef")}, genders,
                             root / "run")
        per_epoch = result.seconds / result.epochs_run
        print(f"training                 {result.samples_per_second:8.1f} samples/s "
              f"({per_epoch:.1f} s/epoch incl. dev) -> 100 epochs of {args.samples}: "
              f"{100 * per_epoch / 60:.1f} min")
        baseline = epoch_speed(train, genders, root / "baseline", window=1, fused=False)
        current = epoch_speed(train, genders, root / "current", window=None, fused=True)
        print(f"  one epoch, no dev: plain shuffle + unfused Adam {baseline:6.1f} samples/s, "
              f"length-bucketed + fused Adam {current:6.1f} samples/s -> "
              f"{current / baseline:.2f}x")
        # The floor is the CPU's: where training ran on the GPU it says nothing.
        floor = ("training ran on the GPU" if torch.cuda.is_available()
                 else compute_floor(train, genders))
        print(f"  {floor} (measured loop: {100 * len(train) / current / 60:.1f} min without dev)")
        for size in [int(s) for s in args.batch_sizes.split(",") if s.strip()]:
            other = resolve_config("mgid", {"train": {"epochs": 1, "batch_size": size}})
            timed = train_model(train, [], other, {"emotion": list("abcdef")}, genders,
                                root / f"batch{size}")
            print(f"  (info) batch size {size:4d}  {timed.samples_per_second:8.1f} samples/s "
                  "(1 epoch, no dev)")
        predictor = Predictor.from_checkpoint(root / "run" / "best.pt", None)
        write_mgid_demo(root / "csv", root / "img", 5, 20)
        images = sorted((root / "img").glob("*.jpg"))
        predictor.predict_upload("warm up", images[0])
        latencies = []
        for i in range(args.uploads):
            started = time.perf_counter()
            predictor.predict_upload(f"feeling low today {i}", images[i % len(images)], "female")
            latencies.append((time.perf_counter() - started) * 1000)
        p95 = float(np.percentile(latencies, 95))
        print(f"upload -> prediction     p50 {statistics.median(latencies):6.0f} ms, "
              f"p95 {p95:6.0f} ms ({args.uploads} uploads, text + image, warm)")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (RSS)        {peak:8.0f} MiB")


if __name__ == "__main__":
    main()
