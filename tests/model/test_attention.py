"""Attention weights are distributions over the unmasked keys, with hand-checked numbers."""

from __future__ import annotations

import math

import pytest
import torch
from torch import Tensor, nn

from amm_core.model import AMMBatch, build_model
from amm_core.model.attention import AdditiveAttention, masked_mean, masked_softmax
from amm_core.model.sequence import run_masked_rnn
from tests.model.conftest import tiny_config


def test_masked_softmax_by_hand() -> None:
    scores = torch.tensor([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    mask = torch.tensor([[True, True, False], [False, False, False]])
    weights = masked_softmax(scores, mask)
    e = math.e
    expected = torch.tensor([[1 / (1 + e), e / (1 + e), 0.0], [0.0, 0.0, 0.0]])
    assert torch.allclose(weights, expected)


def test_all_masked_row_has_finite_gradient() -> None:
    scores = torch.randn(2, 4, requires_grad=True)
    mask = torch.tensor([[False] * 4, [True, False, True, False]])
    masked_softmax(scores, mask).pow(2).sum().backward()
    assert torch.isfinite(scores.grad).all()
    assert torch.count_nonzero(scores.grad[0]) == 0


def test_masked_mean_by_hand() -> None:
    x = torch.tensor([[[1.0], [3.0], [100.0]], [[5.0], [7.0], [9.0]]])
    mask = torch.tensor([[True, True, False], [False, False, False]])
    assert masked_mean(x, mask).tolist() == [[2.0], [0.0]]


def test_additive_attention_with_flat_scores_is_the_masked_mean() -> None:
    attention = AdditiveAttention(2)
    nn.init.zeros_(attention.score.weight)  # w = 0 -> every step scores 0
    h = torch.tensor([[[1.0, 2.0], [3.0, 4.0], [5.0, 9.0], [50.0, 50.0]]])
    pooled, alpha = attention(h, torch.tensor([[True, True, True, False]]))
    assert torch.allclose(alpha, torch.tensor([[1 / 3, 1 / 3, 1 / 3, 0.0]]))
    assert torch.allclose(pooled, torch.tensor([[3.0, 5.0]]))


def test_masked_rnn_sees_only_the_valid_steps_in_order() -> None:
    torch.manual_seed(0)
    gru = nn.GRU(3, 4, batch_first=True, bidirectional=True)
    x = torch.randn(1, 5, 3)
    mask = torch.tensor([[True, False, True, True, False]])  # a hole, as in M^(m)
    out = run_masked_rnn(gru, x, mask)
    alone, _ = gru(x[:, [0, 2, 3]])  # the same three steps with no padding at all
    assert torch.allclose(out[:, [0, 2, 3]], alone, atol=1e-6)
    assert torch.count_nonzero(out[:, [1, 4]]) == 0


def test_masked_rnn_empty_row_is_zero() -> None:
    gru = nn.GRU(3, 4, batch_first=True)
    out = run_masked_rnn(gru, torch.randn(2, 3, 3), torch.tensor([[False] * 3, [True] * 3]))
    assert torch.count_nonzero(out[0]) == 0 and torch.count_nonzero(out[1]) > 0


def _sequence_masks(batch: AMMBatch) -> tuple[Tensor, Tensor]:
    """The I_e key masks for text+image: [summary slot; steps] per modality."""
    vis = batch.has_visual
    text = torch.cat([torch.ones_like(vis)[:, None], batch.text_mask], dim=1)
    visual = torch.cat([vis[:, None], batch.visual_mask & vis[:, None]], dim=1)
    return text, visual


def _assert_distribution(weights: Tensor, query_mask: Tensor, key_mask: Tensor) -> None:
    """weights (..., Lq, Lk): valid query rows sum to 1 on valid keys; everything else is 0."""
    allowed = query_mask[..., :, None] & key_mask[..., None, :]  # (.., Lq, Lk)
    allowed = allowed.expand_as(weights)
    assert torch.count_nonzero(weights[~allowed]) == 0
    has_keys = allowed.any(-1)  # query rows with something to attend to
    sums = weights.sum(-1)
    assert torch.allclose(sums[has_keys], torch.ones_like(sums[has_keys]))
    assert torch.count_nonzero(sums[~has_keys]) == 0
    assert (weights >= 0).all()


@pytest.mark.parametrize("variant", ["amm", "linear"])
def test_word_and_visual_attention(variant: str, mixed_batch: AMMBatch) -> None:
    out = build_model(tiny_config(variant=variant)).eval()(mixed_batch)
    # Rows: text lengths [5, 2, 0, 1]; visual steps [3, 1, 2, 0]; has_visual [T, T, F, T].
    assert torch.allclose(out.word_attention.sum(-1), torch.tensor([1.0, 1.0, 0.0, 1.0]))
    assert torch.count_nonzero(out.word_attention[~mixed_batch.text_mask]) == 0
    assert torch.allclose(out.visual_attention.sum(-1), torch.tensor([1.0, 1.0, 0.0, 0.0]))
    assert torch.count_nonzero(out.visual_attention[~mixed_batch.visual_mask]) == 0
    if variant == "linear":  # the mean gives each real token the same weight
        assert torch.allclose(out.word_attention[1], torch.tensor([0.5, 0.5, 0, 0, 0]))


def test_inter_modal_weights_are_masked_distributions(mixed_batch: AMMBatch) -> None:
    out = build_model(tiny_config()).eval()(mixed_batch)
    text_mask, visual_mask = _sequence_masks(mixed_batch)
    t2v, v2t = out.inter_modal["t2v"], out.inter_modal["v2t"]  # (B, H, Lt, Lv), (B, H, Lv, Lt)
    _assert_distribution(t2v, text_mask[:, None], visual_mask[:, None])
    _assert_distribution(v2t, visual_mask[:, None], text_mask[:, None])
    assert torch.count_nonzero(t2v[2]) == 0 and torch.count_nonzero(v2t[2]) == 0  # no visual
    assert torch.allclose(t2v[0, :, 0].sum(-1), torch.ones(8))  # each head separately


@pytest.mark.parametrize("residual", [True, False])
def test_inter_task_weights_are_masked_distributions(residual: bool, mixed_batch: AMMBatch) -> None:
    out = build_model(tiny_config(inter_task_residual=residual)).eval()(mixed_batch)
    text_mask, visual_mask = _sequence_masks(mixed_batch)
    fused = torch.cat([text_mask, visual_mask], dim=1)  # (B, L)
    for name in ("dep_from_emo", "emo_from_dep"):
        _assert_distribution(out.inter_task[name], fused, fused)


@pytest.mark.parametrize("residual", [True, False])
def test_inter_task_attention_is_wired_as_eq_6(residual: bool) -> None:
    """h^dep = Attention(h*_dep, h*_emo): depression queries, emotion keys and values, through
    the `dep_from_emo` module, and the other way round; the residual adds the query's own state.
    Recomputed by hand from the two LSTMs, so swapped tasks, modules or labels fail."""
    from amm_core.model.inter_task import DEP_FROM_EMO, EMO_FROM_DEP, TaskSequences

    torch.manual_seed(0)
    tasks = ("depression", "emotion")
    module = TaskSequences(tasks, 6, 5, inter_task=True, residual=residual, dropout=0.0).eval()
    fused, mask = torch.randn(3, 4, 6), torch.tensor([[1, 1, 1, 1], [1, 1, 0, 0], [1, 0, 0, 0]],
                                                     dtype=torch.bool)
    sequences, weights = module(fused, mask)
    state = {t: run_masked_rnn(module.lstms[t], fused, mask) for t in tasks}

    def attend(part: nn.Module, a: Tensor, b: Tensor) -> tuple[Tensor, Tensor]:
        scores = part.query(a) @ part.key(b).transpose(1, 2) / math.sqrt(5)
        w = masked_softmax(scores, mask[:, :, None] & mask[:, None, :])
        out = w @ part.value(b) + (a if residual else 0)
        return out.masked_fill(~mask[..., None], 0.0), w

    dep, w_dep = attend(module.dep_from_emo, state["depression"], state["emotion"])
    emo, w_emo = attend(module.emo_from_dep, state["emotion"], state["depression"])
    assert torch.allclose(sequences["depression"], dep, atol=1e-6)
    assert torch.allclose(sequences["emotion"], emo, atol=1e-6)
    assert torch.allclose(weights[DEP_FROM_EMO], w_dep, atol=1e-6)
    assert torch.allclose(weights[EMO_FROM_DEP], w_emo, atol=1e-6)


def test_image_only_masks_the_text_side(mixed_batch: AMMBatch) -> None:
    out = build_model(tiny_config(modalities="image")).eval()(mixed_batch)
    assert torch.count_nonzero(out.word_attention) == 0
    assert torch.count_nonzero(out.inter_modal["t2v"]) == 0  # no text queries
    assert torch.count_nonzero(out.inter_modal["v2t"]) == 0  # no text keys
