"""Which torch device the feature extractors run on (the GPU when there is one, else the CPU),
and the process-wide cuDNN switches the GPU paths change for a while (`cudnn_flags`)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext

import torch

_CUDNN_LOCK = threading.RLock()


def choose_device(name: str | torch.device | None = None) -> torch.device:
    """`None` / "auto" -> cuda when `torch.cuda.is_available()`, else cpu; otherwise as named."""
    if isinstance(name, torch.device):
        return name
    if name in (None, "", "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {name!r} was asked for but no CUDA GPU is available; use 'cpu'")
    return device


def exact_float32(x: torch.Tensor) -> AbstractContextManager:
    """cuDNN convolutions in full float32 while `x` is on a GPU.

    PyTorch lets cuDNN convolutions use TF32 by default (10-bit mantissa): on an H100 the zone
    features then moved by up to ~1% from the CPU's. Features are cached by content and
    extractor, not by device, and pixel explanations recompute them, so every path that runs
    the vision network gives the same numbers on either device (to float32 rounding).
    """
    return cudnn_flags(allow_tf32=False) if x.is_cuda else nullcontext()


@contextmanager
def cudnn_flags(**changes: bool) -> Iterator[None]:
    """`torch.backends.cudnn.flags` that changes only the flags named (`flags()` itself resets
    every flag it is not given to its default), under one lock per process.

    The flags are global: without the lock two threads of the dashboard (an upload explained
    while a dataset's features are extracted) could interleave their set-and-restore and leave
    cuDNN off, or TF32 on, for the rest of the process.
    """
    cudnn = torch.backends.cudnn
    with _CUDNN_LOCK:
        current = {"enabled": cudnn.enabled, "benchmark": cudnn.benchmark,
                   "deterministic": cudnn.deterministic, "allow_tf32": cudnn.allow_tf32}
        with cudnn.flags(**{**current, **changes}):
            yield
