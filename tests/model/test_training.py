"""The network can learn: a tiny model overfits a tiny batch; Captum can attribute through it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch

from amm_core.model import AMMBatch, build_model, weight_decay_groups
from tests.model.conftest import tiny_config


def _accuracy(logits: torch.Tensor, labels: torch.Tensor) -> float:
    return (logits.argmax(-1) == labels).float().mean().item()


@pytest.mark.parametrize("variant", ["amm", "linear"])
def test_tiny_model_overfits_sixteen_samples(
    variant: str, make_batch: Callable[..., AMMBatch]
) -> None:
    torch.manual_seed(0)
    lengths = [1 + i % 5 for i in range(16)]
    batch = make_batch(lengths, [1 + i % 3 for i in range(16)], [i % 4 != 0 for i in range(16)])
    model = build_model(tiny_config(variant=variant))
    optimiser = torch.optim.Adam(weight_decay_groups(model, 0.0), lr=0.01)
    start = model(batch).loss.item()
    for _ in range(300):
        optimiser.zero_grad()
        loss = model(batch).loss
        loss.backward()
        optimiser.step()
        if loss.item() < 0.01:  # one training loss is noisy (dropout): stop well below the bar
            break
    model.eval()
    out = model(batch)
    assert out.loss.item() < 0.1 * start
    for task in out.tasks:
        assert _accuracy(out.logits[task], batch.labels[task]) == 1.0, task


def test_captum_integrated_gradients_through_the_seam(mixed_batch: AMMBatch) -> None:
    captum_attr = pytest.importorskip("captum.attr")
    torch.manual_seed(0)
    model = build_model(tiny_config()).eval()
    ig = captum_attr.IntegratedGradients(model.task_logits)
    rest = mixed_batch.inputs()[2:]
    attributions, delta = ig.attribute(
        (mixed_batch.text, mixed_batch.visual),
        additional_forward_args=(*rest, "emotion"),
        target=1,
        n_steps=64,
        return_convergence_delta=True,
    )
    assert attributions[0].shape == mixed_batch.text.shape
    assert attributions[1].shape == mixed_batch.visual.shape
    assert delta.abs().max() < 1e-2  # completeness: attributions sum to the logit difference
    assert torch.count_nonzero(attributions[0][~mixed_batch.text_mask]) == 0  # padding gets 0
