"""Data-parallel training under torchrun against one process (printed, not asserted):

    python bench/bench_parallel.py [--procs 2] [--samples 3500] [--epochs 2]

Trains the MGID model on synthetic cached features of MGID size (bench_train_predict's) without
dev evaluation: first in this process with all its threads at batch 64 and at batch
64 x procs (what one step of the parallel run sees), then under `torchrun --nproc-per-node procs`
(each process batch 64 of every step, one thread each on a CPU, one GPU each where there are
GPUs). Prints samples/s of each and the ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_train_predict import synthetic_items  # noqa: E402

from amm_core.config import resolve_config  # noqa: E402
from amm_core.distributed import Parallel, join, leave  # noqa: E402
from amm_core.train import resolve_device, train_model  # noqa: E402

GENDERS = {"unknown": torch.zeros(384)}


def speed(samples: int, epochs: int, batch_size: int, parallel: Parallel) -> float:
    config = resolve_config("mgid", {"train": {"epochs": epochs, "batch_size": batch_size,
                                               "patience": epochs + 1}})
    if parallel.active:
        join(parallel, resolve_device(config.train.device, parallel.local_rank))
    with tempfile.TemporaryDirectory() as folder:
        result = train_model(synthetic_items(samples), [], config, {"emotion": list("abcdef")},
                             GENDERS, Path(folder), parallel=parallel)
    leave()
    return result.samples_per_second


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--procs", type=int, default=2)
    parser.add_argument("--samples", type=int, default=3500)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:  # one torchrun process
        parallel = Parallel.from_env()
        rate = speed(args.samples, args.epochs, 64, parallel)
        if parallel.main:
            print(json.dumps({"samples_per_second": rate}))
        return
    device = "GPU" if torch.cuda.is_available() else f"CPU, {torch.get_num_threads()} threads"
    print(f"{args.samples} samples, {args.epochs} epochs, {device}")
    alone = speed(args.samples, args.epochs, 64, Parallel())
    alone_wide = speed(args.samples, args.epochs, 64 * args.procs, Parallel())
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone",
               "--nproc-per-node", str(args.procs), __file__, "--worker",
               "--samples", str(args.samples), "--epochs", str(args.epochs)]
    done = subprocess.run(command, capture_output=True, text=True, env=dict(os.environ),
                          check=True)
    together = json.loads(done.stdout.strip().splitlines()[-1])["samples_per_second"]
    minutes = 100 * args.samples / together / 60
    print(f"one process, batch 64:         {alone:8.1f} samples/s")
    print(f"one process, batch {64 * args.procs:<4d}:      {alone_wide:8.1f} samples/s")
    print(f"{args.procs} processes, batch 64 each: {together:8.1f} samples/s "
          f"({together / alone:.2f}x batch 64 alone, {together / alone_wide:.2f}x the same "
          f"batch alone; 100 epochs {minutes:.1f} min)")


if __name__ == "__main__":
    main()
