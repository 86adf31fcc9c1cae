"""Modality encoders (paper section III-B): a recurrent layer plus additive attention pooling.

Text: frozen token features -> bi-GRU -> H^t (B, T, 2h) -> attention -> h^t (B, 2h).
Visual: zone / clip / frame features -> GRU -> H^v (B, V, h') -> attention -> h^v (B, h').
Any source that yields a (B, steps, d_in) tensor and a mask plugs in.
"""

from __future__ import annotations

from torch import Tensor, nn

from amm_core.model.attention import AdditiveAttention
from amm_core.model.sequence import run_masked_rnn


class RecurrentAttentionEncoder(nn.Module):
    """GRU over masked steps, then eq. 2 attention pooling; returns (H, h, alpha)."""

    def __init__(self, in_dim: int, hidden: int, *, bidirectional: bool, dropout: float) -> None:
        super().__init__()
        self.gru = nn.GRU(in_dim, hidden, batch_first=True, bidirectional=bidirectional)
        self.out_dim = hidden * (2 if bidirectional else 1)
        self.dropout = nn.Dropout(dropout)
        self.attention = AdditiveAttention(self.out_dim)

    def forward(self, x: Tensor, mask: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """x (B, L, in_dim), mask (B, L) -> H (B, L, out), h (B, out), alpha (B, L).

        A row with no valid step gets H = 0, h = 0 and alpha = 0 (no NaN).
        """
        h_seq = self.dropout(run_masked_rnn(self.gru, x, mask))  # (B, L, out)
        pooled, alpha = self.attention(h_seq, mask)  # (B, out), (B, L)
        return h_seq, pooled, alpha


class TextEncoder(RecurrentAttentionEncoder):
    """Bidirectional GRU over frozen token features (hidden h per direction -> 2h)."""

    def __init__(self, text_dim: int, hidden: int, dropout: float) -> None:
        super().__init__(text_dim, hidden, bidirectional=True, dropout=dropout)


class VisualEncoder(RecurrentAttentionEncoder):
    """Unidirectional GRU over zone / clip / frame features (hidden h')."""

    def __init__(self, visual_dim: int, hidden: int, dropout: float) -> None:
        super().__init__(visual_dim, hidden, bidirectional=False, dropout=dropout)
