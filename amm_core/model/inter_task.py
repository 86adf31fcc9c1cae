"""Task LSTMs and inter-task attention I_t (paper section III-E, eq. 6).

h*_emo = LSTM_e(M^(m));  h*_dep = LSTM_d(M^(m))
h^emo = Attention(h*_emo, h*_dep);  h^dep = Attention(h*_dep, h*_emo)
Attention(a, b) = softmax(Q^a K^b / sqrt(d)) V^b, with key masks (choice: the 1/sqrt(d) scale)
and, when `residual` is on, h^task = h*_task + Attention(...) (ModelConfig.inter_task_residual).
"""

from __future__ import annotations

import math

from torch import Tensor, nn

from amm_core.model.attention import masked_softmax
from amm_core.model.sequence import run_masked_rnn

# Weight names, read "rows from columns": dep_from_emo has depression steps as rows (queries)
# and emotion steps as columns (keys); it is the attention that builds h^dep.
DEP_FROM_EMO = "dep_from_emo"
EMO_FROM_DEP = "emo_from_dep"


class InterTaskAttention(nn.Module):
    """One direction of eq. 6: queries from task a, keys and values from task b."""

    def __init__(self, dim: int, residual: bool) -> None:
        super().__init__()
        self.query = nn.Linear(dim, dim)
        self.key = nn.Linear(dim, dim)
        self.value = nn.Linear(dim, dim)
        self.residual = residual
        self.scale = 1.0 / math.sqrt(dim)

    def forward(self, a: Tensor, b: Tensor, mask: Tensor) -> tuple[Tensor, Tensor]:
        """a, b (B, L, d), mask (B, L) -> out (B, L, d), weights (B, L, L) (masked rows 0)."""
        scores = self.query(a) @ self.key(b).transpose(1, 2) * self.scale  # (B, L, L)
        weights = masked_softmax(scores, mask[:, :, None] & mask[:, None, :])  # (B, L, L)
        out = weights @ self.value(b)  # (B, L, d)
        if self.residual:
            out = a + out
        return out.masked_fill(~mask.unsqueeze(-1), 0.0), weights


class TaskSequences(nn.Module):
    """One LSTM per task over M^(m), optionally linked by inter-task attention (both ways)."""

    def __init__(
        self,
        tasks: tuple[str, ...],
        in_dim: int,
        hidden: int,
        *,
        inter_task: bool,
        residual: bool,
        dropout: float,
    ) -> None:
        super().__init__()
        if inter_task and set(tasks) != {"depression", "emotion"}:
            raise ValueError("inter-task attention needs both tasks: depression and emotion")
        self.tasks = tasks
        self.lstms = nn.ModuleDict({t: nn.LSTM(in_dim, hidden, batch_first=True) for t in tasks})
        self.dropout = nn.Dropout(dropout)
        self.inter_task = inter_task
        if inter_task:
            self.emo_from_dep = InterTaskAttention(hidden, residual)
            self.dep_from_emo = InterTaskAttention(hidden, residual)

    def forward(self, fused: Tensor, mask: Tensor) -> tuple[dict[str, Tensor], dict | None]:
        """fused (B, L, D), mask (B, L) -> {task: (B, L, hidden)}, I_t weights or None."""
        states = {
            t: self.dropout(run_masked_rnn(lstm, fused, mask)) for t, lstm in self.lstms.items()
        }  # task -> (B, L, hidden)
        if not self.inter_task:
            return states, None
        emo, dep = states["emotion"], states["depression"]
        h_emo, w_emo = self.emo_from_dep(emo, dep, mask)  # (B, L, hidden), (B, L, L)
        h_dep, w_dep = self.dep_from_emo(dep, emo, mask)  # (B, L, hidden), (B, L, L)
        sequences = {"depression": h_dep, "emotion": h_emo}
        return sequences, {DEP_FROM_EMO: w_dep, EMO_FROM_DEP: w_emo}
