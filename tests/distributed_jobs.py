"""Work for tests/test_distributed.py, run by torchrun in fresh processes (Gloo on this CPU):

    python -m torch.distributed.run --standalone --nproc-per-node 2 \
        -m tests.distributed_jobs JOB OUT

Each process pickles what JOB returns to OUT/result<rank>.pkl. (Spawning from inside pytest
re-imports the parent's `__main__`, which Streamlit's page tests replace: hence a module.)
"""

from __future__ import annotations

import pickle
import sys
from pathlib import Path

import torch
import torch.distributed as dist

from amm_core.config import resolve_config
from amm_core.dataset import FeatureItem
from amm_core.distributed import Parallel, average_gradients, shard
from amm_core.model import AMMBatch
from amm_core.model.variants import build_model
from amm_core.train import train_model
from tests.model.conftest import random_batch, tiny_config

TEXT_DIM, VISUAL_DIM, COLOUR_DIM = 8, 6, 4


def rows(batch: AMMBatch, chosen: torch.Tensor) -> AMMBatch:
    fields = {name: getattr(batch, name)[chosen] for name in (
        "text", "text_mask", "gender", "visual", "visual_mask", "colour", "has_visual")}
    return AMMBatch(**fields, labels={t: v[chosen] for t, v in batch.labels.items()})


def gradients(model: torch.nn.Module) -> dict[str, torch.Tensor | None]:
    return {n: None if p.grad is None else p.grad.clone() for n, p in model.named_parameters()}


def model_and_batch() -> tuple[torch.nn.Module, AMMBatch]:
    torch.manual_seed(0)
    model = build_model(tiny_config(task=None))
    batch = random_batch([3, 5, 2, 4, 1, 5, 3, 2], [2, 1, 3, 2, 1, 2, 3, 1], [True] * 8)
    return model, batch


def whole_batch_gradients(chosen: torch.Tensor) -> tuple[float, dict]:
    """One process: the loss and gradients of the rows `chosen` of the batch."""
    model, batch = model_and_batch()
    output = model(rows(batch, chosen))
    output.loss.backward()
    return float(output.loss.detach()), gradients(model)


def share_gradients(parallel: Parallel, silent_rank: int | None = None) -> dict:
    """This process's share of the batch (nothing when it is `silent_rank`), then averaged."""
    model, batch = model_and_batch()
    loss = None
    if parallel.rank != silent_rank:
        output = model(rows(batch, shard(torch.arange(8), parallel)))
        output.loss.backward()
        loss = float(output.loss.detach())
    mean = average_gradients(list(model.parameters()), loss, parallel)
    return {"loss": mean, "grads": gradients(model)}


def feature_items(n: int) -> list[FeatureItem]:
    gen = torch.Generator().manual_seed(1)
    items = []
    for i in range(n):
        tokens = 1 + int(torch.randint(0, 9, (1,), generator=gen))
        items.append(FeatureItem(
            text=torch.randn(tokens, TEXT_DIM, generator=gen), tokens=["w"] * tokens,
            gender=("female", "male")[i % 2], visual=torch.randn(3, VISUAL_DIM, generator=gen),
            visual_mask=torch.ones(3, dtype=torch.bool),
            colour=torch.rand(COLOUR_DIM, generator=gen),
            labels={"depression": i % 2, "emotion": i % 6}))
    return items


def config(batch_size: int):
    model = {"text_dim": TEXT_DIM, "visual_dim": VISUAL_DIM, "colour_dim": COLOUR_DIM,
             "gru_hidden": 8, "d_model": 16, "lstm_hidden": 12, "dropout": 0.0}
    train = {"epochs": 2, "batch_size": batch_size, "patience": 100, "device": "cpu"}
    return resolve_config("mgid", {"model": model, "train": train})


def train(parallel: Parallel, batch_size: int, run_dir: str) -> dict[str, torch.Tensor] | None:
    """Two epochs on 32 items (dropout off); the last weights process 0 saved."""
    torch.set_num_threads(1)
    genders = {g: torch.ones(TEXT_DIM) * k for k, g in enumerate(("female", "male", "unknown"))}
    items = feature_items(48)
    result = train_model(items[:32], items[32:], config(batch_size), {"emotion": list("abcdef")},
                         genders, Path(run_dir), parallel=parallel)
    assert result.epochs_run == (2 if parallel.main else 0)  # only process 0 keeps the history
    if not parallel.main:
        return None
    return torch.load(Path(run_dir) / "last.pt", weights_only=True)["state_dict"]


JOBS = {
    "gradients": lambda parallel, out: share_gradients(parallel),
    "gradients-silent-1": lambda parallel, out: share_gradients(parallel, silent_rank=1),
    "train": lambda parallel, out: train(parallel, 4, str(Path(out) / "run")),
}


def main(job: str, out: str) -> None:
    torch.set_num_threads(1)
    parallel = Parallel.from_env()
    dist.init_process_group("gloo")
    try:
        result = JOBS[job](parallel, out)
        Path(out, f"result{parallel.rank}.pkl").write_bytes(pickle.dumps(result))
    finally:
        dist.destroy_process_group()


if __name__ == "__main__":
    main(*sys.argv[1:])
