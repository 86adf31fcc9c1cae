"""Inter-modal multi-head attention I_e (paper section III-D, eq. 3-5).

(choice, MODEL.md section 3) Attention between two single vectors is degenerate, so I_e runs over
sequences: text [proj(h^tg); H^t] (B, Lt, D) and visual [proj(h^vc); H^v] (B, Lv, D), with key
padding masks. Text queries visual keys (t->v) and the reverse (v->t); M^(m) is the two outputs
concatenated along the sequence axis: (B, Lt + Lv, D).

(choice) Each direction adds its query back (residual): out = query + Attention(query, keys).
Without it a row whose other modality is missing (text-only posts, the `text` / `image`
settings) would lose its own modality too, since attention over no keys yields nothing.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from amm_core.model.attention import masked_softmax


class ModalitySequence(nn.Module):
    """[proj(summary); proj(steps)] with its mask: the summary slot first, then the steps."""

    def __init__(self, summary_dim: int, step_dim: int, d_model: int) -> None:
        super().__init__()
        self.summary_proj = nn.Linear(summary_dim, d_model)
        self.step_proj = nn.Linear(step_dim, d_model)

    def forward(
        self, summary: Tensor, steps: Tensor, row_mask: Tensor, step_mask: Tensor
    ) -> tuple[Tensor, Tensor]:
        """summary (B, S), steps (B, L, E), row_mask (B,), step_mask (B, L) -> (B, 1+L, D), mask."""
        head = self.summary_proj(summary).unsqueeze(1)  # (B, 1, D)
        body = self.step_proj(steps)  # (B, L, D)
        seq = torch.cat([head, body], dim=1)  # (B, 1+L, D)
        mask = torch.cat([row_mask.unsqueeze(1), step_mask & row_mask.unsqueeze(1)], dim=1)
        return seq.masked_fill(~mask.unsqueeze(-1), 0.0), mask  # (B, 1+L, D), (B, 1+L)


class MultiHeadCrossAttention(nn.Module):
    """Scaled dot-product attention with n_heads heads, key padding mask, no causal mask."""

    def __init__(self, d_model: int, n_heads: int, dropout: float) -> None:
        super().__init__()
        if d_model % n_heads != 0:
            raise ValueError(f"d_model ({d_model}) must be divisible by n_heads ({n_heads})")
        self.n_heads = n_heads
        self.head_dim = d_model // n_heads
        self.query = nn.Linear(d_model, d_model)
        self.key = nn.Linear(d_model, d_model)
        self.value = nn.Linear(d_model, d_model)
        self.out = nn.Linear(d_model, d_model)
        self.dropout = nn.Dropout(dropout)

    def _split(self, x: Tensor) -> Tensor:
        b, steps, _ = x.shape
        return x.view(b, steps, self.n_heads, self.head_dim).transpose(1, 2)  # (B, H, L, d)

    def forward(
        self, query: Tensor, keys: Tensor, query_mask: Tensor, key_mask: Tensor
    ) -> tuple[Tensor, Tensor]:
        """query (B, Lq, D), keys (B, Lk, D), masks (B, Lq) / (B, Lk).

        Returns out (B, Lq, D) = query + attention, and weights (B, H, Lq, Lk): each unmasked
        query row is a distribution over the unmasked keys; masked query rows are all zero.
        """
        b, lq, d = query.shape
        q = self._split(self.query(query))  # (B, H, Lq, d)
        k = self._split(self.key(keys))  # (B, H, Lk, d)
        v = self._split(self.value(keys))  # (B, H, Lk, d)
        scores = q @ k.transpose(-2, -1) / math.sqrt(self.head_dim)  # (B, H, Lq, Lk)
        pair_mask = query_mask[:, None, :, None] & key_mask[:, None, None, :]  # (B, 1, Lq, Lk)
        weights = masked_softmax(scores, pair_mask)  # (B, H, Lq, Lk)
        mixed = (self.dropout(weights) @ v).transpose(1, 2).reshape(b, lq, d)  # (B, Lq, D)
        out = query + self.dropout(self.out(mixed))  # (B, Lq, D)
        return out.masked_fill(~query_mask.unsqueeze(-1), 0.0), weights


class InterModalAttention(nn.Module):
    """I_e: t->v and v->t cross attention; returns M^(m), its mask and both weight tensors."""

    def __init__(self, d_model: int, n_heads: int, dropout: float) -> None:
        super().__init__()
        self.text_to_visual = MultiHeadCrossAttention(d_model, n_heads, dropout)
        self.visual_to_text = MultiHeadCrossAttention(d_model, n_heads, dropout)

    def forward(
        self, text: Tensor, text_mask: Tensor, visual: Tensor, visual_mask: Tensor
    ) -> tuple[Tensor, Tensor, dict[str, Tensor]]:
        """text (B, Lt, D), visual (B, Lv, D) -> M (B, Lt+Lv, D), mask (B, Lt+Lv), weights."""
        t2v, w_t2v = self.text_to_visual(text, visual, text_mask, visual_mask)  # (B, Lt, D)
        v2t, w_v2t = self.visual_to_text(visual, text, visual_mask, text_mask)  # (B, Lv, D)
        fused = torch.cat([t2v, v2t], dim=1)  # (B, Lt+Lv, D)
        mask = torch.cat([text_mask, visual_mask], dim=1)  # (B, Lt+Lv)
        return fused, mask, {"t2v": w_t2v, "v2t": w_v2t}
