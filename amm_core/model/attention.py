"""Masked softmax and the additive attention pooling of the paper (eq. 2).

Every attention in the model goes through `masked_softmax`, so a row whose keys are all masked
gets all-zero weights (never NaN) and masked keys get exactly 0.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


def masked_softmax(scores: Tensor, mask: Tensor, dim: int = -1) -> Tensor:
    """Softmax of `scores` over the True positions of `mask` (broadcastable); 0 elsewhere.

    A slice with no True position comes out all zeros: there is nothing to attend to.
    """
    mask = mask.expand_as(scores)
    # finfo.min instead of -inf: an all-masked slice then gives a finite (uniform) softmax,
    # which the final multiplication turns into zeros, with finite gradients.
    filled = scores.masked_fill(~mask, torch.finfo(scores.dtype).min)
    weights = torch.softmax(filled, dim=dim)
    return weights * mask.to(weights.dtype)


def masked_mean(x: Tensor, mask: Tensor) -> Tensor:
    """Mean of x (B, L, D) over the True steps of mask (B, L); 0 for a row with none."""
    weights = mask.to(x.dtype)  # (B, L)
    count = weights.sum(dim=1, keepdim=True).clamp(min=1.0)  # (B, 1)
    return torch.einsum("bl,bld->bd", weights, x) / count  # (B, D)


class AdditiveAttention(nn.Module):
    """D = tanh(W_d H + b_d); alpha = softmax(w^T D); pooled = alpha H  (paper eq. 2)."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.project = nn.Linear(dim, dim)  # W_d, b_d
        self.score = nn.Linear(dim, 1, bias=False)  # w

    def forward(self, h: Tensor, mask: Tensor) -> tuple[Tensor, Tensor]:
        """h (B, L, D), mask (B, L) bool -> pooled (B, D), alpha (B, L)."""
        d = torch.tanh(self.project(h))  # (B, L, D)
        scores = self.score(d).squeeze(-1)  # (B, L)
        alpha = masked_softmax(scores, mask)  # (B, L)
        pooled = torch.einsum("bl,bld->bd", alpha, h)  # (B, D)
        return pooled, alpha
