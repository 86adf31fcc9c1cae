"""Task heads: masked attention pooling of a task's sequence, then a small ReLU classifier."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from amm_core.model.attention import AdditiveAttention


class AttentionPoolHead(nn.Module):
    """(choice, MODEL.md section 4) pool with eq. 2 attention, then Linear-ReLU-Linear.

    `per_modality`: M^(m) is [text part; visual part]; each part is pooled with its own
    attention and the two vectors are concatenated, so neither modality can crowd the other
    out of the pooled vector (a caption has ~20 steps, a picture ~5). A missing part pools to 0.

    `norm`: the hidden layer is layer-normalised (no parameters) before the ReLU. Each sample's
    pre-activations then have mean 0 and variance 1 across units, so about half the units fire
    for every input and the head cannot die, whatever Adam does to the Linear's bias; a plain
    Linear-ReLU head can end with every unit off for every input (constant logits, no gradient
    upstream, a run stuck at chance).
    """

    def __init__(self, dim: int, n_classes: int, dropout: float, per_modality: bool = False,
                 norm: bool = False) -> None:
        super().__init__()
        self.pool = AdditiveAttention(dim)
        self.visual_pool = AdditiveAttention(dim) if per_modality else None
        width = 2 * dim if per_modality else dim
        normalise = [nn.LayerNorm(dim, elementwise_affine=False)] if norm else []
        self.classifier = nn.Sequential(
            nn.Dropout(dropout),
            nn.Linear(width, dim),
            *normalise,
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(dim, n_classes),
        )

    def forward(self, seq: Tensor, mask: Tensor, text_steps: int | None = None) -> Tensor:
        """seq (B, L, dim), mask (B, L) -> logits (B, n_classes); `text_steps` = the length of
        the text part (needed when pooling per modality)."""
        if self.visual_pool is None:
            pooled, _ = self.pool(seq, mask)  # (B, dim)
            return self.classifier(pooled)  # (B, C)
        if text_steps is None:
            raise ValueError("a per-modality head needs the length of the text part")
        text, _ = self.pool(seq[:, :text_steps], mask[:, :text_steps])  # (B, dim)
        visual, _ = self.visual_pool(seq[:, text_steps:], mask[:, text_steps:])  # (B, dim)
        return self.classifier(torch.cat([text, visual], dim=-1))  # (B, C)


class LinearHead(nn.Module):
    """Logistic regression: one linear layer over a pooled feature vector."""

    def __init__(self, dim: int, n_classes: int) -> None:
        super().__init__()
        self.linear = nn.Linear(dim, n_classes)

    def forward(self, features: Tensor) -> Tensor:
        return self.linear(features)  # (B, C)
