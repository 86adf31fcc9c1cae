"""Missing modalities, empty texts and padding never change or break what the model says."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest
import torch

from amm_core.config import MODALITIES
from amm_core.model import VARIANTS, AMMBatch, AMMOutput, build_model
from tests.model.conftest import tiny_config


def _assert_same(a: AMMOutput, b: AMMOutput, rows: slice | list[int] = slice(None)) -> None:
    for task in a.tasks:
        assert torch.allclose(a.logits[task][rows], b.logits[task][rows], atol=1e-6), task
    assert torch.allclose(a.word_attention[rows], b.word_attention[rows], atol=1e-6)
    assert torch.allclose(a.visual_attention[rows], b.visual_attention[rows], atol=1e-6)


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_rows_without_visual_ignore_their_visual_tensors(
    variant: str, mixed_batch: AMMBatch
) -> None:
    model = build_model(tiny_config(variant=variant)).eval()
    before = model(mixed_batch)
    junk = replace(
        mixed_batch, visual=mixed_batch.visual.clone(), colour=mixed_batch.colour.clone()
    )
    junk.visual[2] = float("nan")  # row 2 has has_visual=False
    junk.colour[2] = 1e6
    after = model(junk)
    _assert_same(before, after)
    assert all(torch.isfinite(v).all() for v in after.logits.values())


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_text_setting_ignores_all_visual_input(variant: str, mixed_batch: AMMBatch) -> None:
    model = build_model(tiny_config(variant=variant, modalities="text")).eval()
    other = replace(
        mixed_batch,
        visual=torch.randn_like(mixed_batch.visual),
        colour=torch.rand_like(mixed_batch.colour),
        visual_mask=torch.ones_like(mixed_batch.visual_mask),
        has_visual=torch.ones_like(mixed_batch.has_visual),
    )
    _assert_same(model(mixed_batch), model(other))


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_image_setting_ignores_all_text_input(variant: str, mixed_batch: AMMBatch) -> None:
    model = build_model(tiny_config(variant=variant, modalities="image")).eval()
    other = replace(
        mixed_batch,
        text=torch.randn_like(mixed_batch.text),
        gender=torch.randn_like(mixed_batch.gender),
        text_mask=torch.ones_like(mixed_batch.text_mask),
    )
    _assert_same(model(mixed_batch), model(other))


def test_padding_content_and_amount_do_not_matter(
    make_batch: Callable[..., AMMBatch],
) -> None:
    model = build_model(tiny_config()).eval()
    tight = make_batch([3], [2], [True], seed=3)
    padded = make_batch([3], [2], [True], max_text=9, max_visual=5, seed=3)
    # Same real features, random junk in the padding.
    padded.text[:, :3], padded.visual[:, :2] = tight.text, tight.visual
    padded.gender, padded.colour = tight.gender, tight.colour
    a, b = model(tight), model(padded)
    for task in a.tasks:
        assert torch.allclose(a.logits[task], b.logits[task], atol=1e-5)
    assert torch.allclose(a.word_attention, b.word_attention[:, :3], atol=1e-6)


@pytest.mark.parametrize("modalities", MODALITIES)
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_empty_texts_and_no_visual_steps_stay_finite(
    variant: str, modalities: str, make_batch: Callable[..., AMMBatch]
) -> None:
    # Zero-length axes: a batch of empty texts from a text-only corpus (T = V = 0).
    batch = make_batch([0, 0], [0, 0], [False, True])
    assert batch.text.shape == (2, 0, 8) and batch.visual.shape == (2, 0, 6)
    model = build_model(tiny_config(variant=variant, modalities=modalities)).eval()
    out = model(batch)
    assert all(torch.isfinite(v).all() for v in out.logits.values())
    assert out.word_attention.shape == (2, 0) and out.visual_attention.shape == (2, 0)
    assert torch.isfinite(out.loss)


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_gradients_are_finite_for_empty_and_masked_rows(
    variant: str, mixed_batch: AMMBatch
) -> None:
    model = build_model(tiny_config(variant=variant)).eval()
    text = mixed_batch.text.clone().requires_grad_(True)
    visual = mixed_batch.visual.clone().requires_grad_(True)
    others = mixed_batch.inputs()[2:]
    model.task_logits(text, visual, *others).sum().backward()
    assert torch.isfinite(text.grad).all() and torch.isfinite(visual.grad).all()
    assert torch.count_nonzero(text.grad[~mixed_batch.text_mask]) == 0  # padding, empty row 2
    assert torch.count_nonzero(visual.grad[~mixed_batch.visual_mask]) == 0
    assert torch.count_nonzero(visual.grad[2]) == 0  # row 2: no visual
    assert all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)
