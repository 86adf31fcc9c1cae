"""Data-parallel training under `torchrun`: one process per GPU, each on its share of every step.

    torchrun --standalone --nproc-per-node 4 -m amm_core.cli train --dataset mgid --json

torchrun starts the processes and sets RANK / WORLD_SIZE / LOCAL_RANK; `Parallel.from_env` reads
them. Every process builds the same epoch plan (same seed): batches of `world x batch_size`
items of similar text length. Process r trains on its r-th share of each (`shard`), then one
all-reduce per step averages the gradients (`average_gradients`), so every process takes the same
Adam step and the weights stay identical: a step is the one a single process would take on the
whole `world x batch_size` batch (exactly so when the shares are equal and fully labelled). That
is what DistributedDataParallel computes; it is done by hand here because DDP's reducer expects
every process to run backward on every step, and a share with no label for any task (an
emotion-only run on DAIC, whose emotion labels are sparse gold labels) has nothing to run it on:
under DDP that process would skip the step and the others would wait for it for ever. Here it
joins the all-reduce with nothing and the step averages over the processes that had something.
The reduction is not overlapped with backward as DDP's buckets are; the AMM has ~1 M parameters,
one flat all-reduce per step.

Process 0 does everything else: the run's database row, dev evaluation, checkpoints, progress and
the JSON result; its decision to go on or stop (patience, cancel) is broadcast to the others.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:  # torch is imported where it is used: the CLI reads `Parallel` before torch
    import torch
    from torch import Tensor, nn

T = TypeVar("T")

ENV_NAMES = ("RANK", "WORLD_SIZE", "LOCAL_RANK")


@dataclass(frozen=True)
class Parallel:
    """Where this process stands among the processes training one run (1 of 1 without torchrun)."""

    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def main(self) -> bool:
        return self.rank == 0

    @property
    def active(self) -> bool:
        return self.world > 1

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Parallel:
        """From torchrun's variables; ValueError (one line) when they do not make sense."""
        environ = os.environ if environ is None else environ
        values = {}
        for name in ENV_NAMES:
            raw = environ.get(name, "1" if name == "WORLD_SIZE" else "0")
            try:
                values[name] = int(raw)
            except ValueError:
                message = f"{name}={raw!r} is not a whole number (torchrun sets it)"
                raise ValueError(message) from None
        rank, world, local = values["RANK"], values["WORLD_SIZE"], values["LOCAL_RANK"]
        if world < 1 or not 0 <= rank < world or local < 0:
            raise ValueError(f"RANK={rank} WORLD_SIZE={world} LOCAL_RANK={local} do not fit "
                             "together (RANK must be below WORLD_SIZE)")
        return cls(rank=rank, world=world, local_rank=local)


SINGLE = Parallel()


class MainProcessFailed(RuntimeError):
    """Raised on the other processes when process 0 failed in a step they were waiting for."""


def join(parallel: Parallel, device: torch.device) -> torch.device:
    """Join the process group (NCCL for GPUs, Gloo for CPUs); the device this process uses."""
    import torch
    import torch.distributed as dist

    if device.type == "cuda":
        device = torch.device("cuda", parallel.local_rank)
        torch.cuda.set_device(device)
    if parallel.active and not dist.is_initialized():
        dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo",
                                rank=parallel.rank, world_size=parallel.world)
    return device


def leave() -> None:
    import torch.distributed as dist

    if dist.is_initialized():
        dist.destroy_process_group()


def shard(indices: Tensor, parallel: Parallel) -> Tensor:
    """This process's share of one step's items: `world` near-equal consecutive pieces."""
    if not parallel.active:
        return indices
    return indices.tensor_split(parallel.world)[parallel.rank]


def average_gradients(parameters: Sequence[nn.Parameter], loss: float | None,
                      parallel: Parallel) -> float | None:
    """Average this step's gradients over the processes that had a loss (`loss` None: this
    process had nothing to learn from). One all-reduce of every gradient, a used-or-not flag per
    parameter, and the loss. Returns the mean loss over those processes, None when none had one
    (then no process steps). A parameter no process used keeps `grad = None`, as alone."""
    if not parallel.active:
        return loss
    import torch
    import torch.distributed as dist

    device = parameters[0].device
    grads = [p.grad.reshape(-1) if p.grad is not None else p.new_zeros(p.numel())
             for p in parameters]
    used = [1.0 if p.grad is not None else 0.0 for p in parameters]
    tail = torch.tensor([*used, loss is not None, loss or 0.0], device=device,
                        dtype=parameters[0].dtype)
    flat = torch.cat([*grads, tail])
    dist.all_reduce(flat)
    n = len(parameters)
    counts = flat[-n - 2:].tolist()
    contributors, loss_sum = counts[-2], counts[-1]
    if contributors == 0:
        return None
    offset = 0
    for param, param_used in zip(parameters, counts[:n], strict=True):
        size = param.numel()
        if param_used:
            param.grad = (flat[offset:offset + size] / contributors).view_as(param).clone()
        else:
            param.grad = None
        offset += size
    return loss_sum / contributors


def broadcast_int(value: int, parallel: Parallel, device: torch.device) -> int:
    """Process 0's `value`, on every process."""
    if not parallel.active:
        return value
    import torch
    import torch.distributed as dist

    box = torch.tensor([value], dtype=torch.long, device=device)
    dist.broadcast(box, src=0)
    return int(box.item())


def main_first(parallel: Parallel, device: torch.device, action: Callable[[], T]) -> T | None:
    """`action()` on process 0 while the others wait; its result there, None elsewhere. When it
    fails on process 0 the others stop too (MainProcessFailed), instead of waiting for ever."""
    if not parallel.main:
        wait_for_main(parallel, device)
        return None
    try:
        result = action()
    except BaseException:
        broadcast_int(1, parallel, device)
        raise
    broadcast_int(0, parallel, device)
    return result


def wait_for_main(parallel: Parallel, device: torch.device) -> None:
    """On a process other than 0: wait until process 0 has done its `main_first` step."""
    if broadcast_int(0, parallel, device):
        raise MainProcessFailed("process 0 stopped (its message says why)")
