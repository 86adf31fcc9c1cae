"""Initialisation of trainable weights: U(-init_range, init_range), biases 0 (paper IV-A)."""

from __future__ import annotations

import torch
from torch import nn


@torch.no_grad()
def init_uniform_(module: nn.Module, init_range: float) -> None:
    """Every parameter whose name ends in "bias" (incl. LSTM/GRU bias_ih / bias_hh) -> 0;
    every other parameter (Linear, GRU, LSTM weights) -> U(-init_range, init_range)."""
    for name, param in module.named_parameters():
        if name.rsplit(".", 1)[-1].startswith("bias"):
            param.zero_()
        else:
            param.uniform_(-init_range, init_range)
