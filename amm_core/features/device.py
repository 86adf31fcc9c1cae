"""Which torch device the feature extractors run on: the GPU when there is one, else the CPU."""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext

import torch


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
    if not x.is_cuda:
        return nullcontext()
    cudnn = torch.backends.cudnn
    return cudnn.flags(enabled=cudnn.enabled, benchmark=cudnn.benchmark,
                       deterministic=cudnn.deterministic, allow_tf32=False)
