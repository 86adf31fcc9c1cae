"""Task heads: masked attention pooling of a task's sequence, then a small ReLU classifier."""

from __future__ import annotations

from torch import Tensor, nn

from amm_core.model.attention import AdditiveAttention


class AttentionPoolHead(nn.Module):
    """(choice, MODEL.md section 4) pool with eq. 2 attention, then Linear-ReLU-Linear."""

    def __init__(self, dim: int, n_classes: int, dropout: float) -> None:
        super().__init__()
        self.pool = AdditiveAttention(dim)
        self.classifier = nn.Sequential(
            nn.Dropout(dropout),
            nn.Linear(dim, dim),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(dim, n_classes),
        )

    def forward(self, seq: Tensor, mask: Tensor) -> Tensor:
        """seq (B, L, dim), mask (B, L) -> logits (B, n_classes)."""
        pooled, _ = self.pool(seq, mask)  # (B, dim)
        return self.classifier(pooled)  # (B, C)


class LinearHead(nn.Module):
    """Logistic regression: one linear layer over a pooled feature vector."""

    def __init__(self, dim: int, n_classes: int) -> None:
        super().__init__()
        self.linear = nn.Linear(dim, n_classes)

    def forward(self, features: Tensor) -> Tensor:
        return self.linear(features)  # (B, C)
