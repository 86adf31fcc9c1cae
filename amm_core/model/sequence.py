"""Run a GRU / LSTM over a padded batch where any steps may be masked, without leaking padding.

The valid steps of each row are moved to the front (order kept), packed, run, and put back in
their original positions; masked positions come out as zeros. A row with no valid step runs one
all-zero dummy step (packing needs length >= 1) whose output is then zeroed, so nothing is NaN.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


def rnn_output_size(rnn: nn.RNNBase) -> int:
    return rnn.hidden_size * (2 if rnn.bidirectional else 1)


def run_masked_rnn(rnn: nn.RNNBase, x: Tensor, mask: Tensor) -> Tensor:
    """x (B, L, D_in), mask (B, L) bool -> outputs (B, L, D_out), zeros on masked steps.

    Works for masks with holes (e.g. the text part then the visual part of M^(m)): the RNN sees
    exactly the valid steps of a row, in order, so its outputs do not depend on how much padding
    the batch happens to have.
    """
    batch, steps, _ = x.shape
    out_dim = rnn_output_size(rnn)
    if steps == 0:
        return x.new_zeros(batch, 0, out_dim)
    # Stable sort on "is padding" puts the valid steps first, in their original order.
    order = torch.argsort((~mask).to(torch.int32), dim=1, stable=True)  # (B, L)
    sorted_mask = mask.gather(1, order)  # (B, L)
    x_sorted = x.gather(1, order.unsqueeze(-1).expand_as(x))  # (B, L, D_in)
    x_sorted = x_sorted.masked_fill(~sorted_mask.unsqueeze(-1), 0.0)
    lengths = mask.sum(dim=1).clamp(min=1).cpu()  # (B,) empty rows get one dummy step
    packed = pack_padded_sequence(x_sorted, lengths, batch_first=True, enforce_sorted=False)
    out_packed, _ = rnn(packed)
    out, _ = pad_packed_sequence(out_packed, batch_first=True, total_length=steps)  # (B, L, D_out)
    restored = torch.zeros_like(out).scatter(1, order.unsqueeze(-1).expand_as(out), out)
    return restored.masked_fill(~mask.unsqueeze(-1), 0.0)  # (B, L, D_out)
