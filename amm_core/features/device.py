"""Which torch device the feature extractors run on: the GPU when there is one, else the CPU."""

from __future__ import annotations

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
