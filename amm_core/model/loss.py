"""Masked multi-task cross-entropy and the parameter groups for L2 weight decay (section III-F)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from amm_core.metrics_bootstrap import IGNORE_INDEX  # noqa: E402 - one source of truth


def masked_cross_entropy(logits: Tensor, labels: Tensor) -> Tensor:
    """Mean cross-entropy over the labelled rows; exactly 0 (with a graph) when none is labelled.

    logits (B, C), labels (B,) long with IGNORE_INDEX for missing labels.
    """
    total = F.cross_entropy(logits, labels, ignore_index=IGNORE_INDEX, reduction="sum")
    count = (labels != IGNORE_INDEX).sum().clamp(min=1)
    return total / count


def multitask_loss(
    logits: Mapping[str, Tensor], labels: Mapping[str, Tensor], emotion_weight: float = 1.0
) -> Tensor | None:
    """Sum over the model's tasks that have labels of masked CE; emotion scaled by its weight.

    A task whose labels in this batch are all missing adds no term. Returns None when no task
    has a label (then there is nothing to learn from: training skips the step, so neither
    Adam's momentum nor the L2 term moves the weights on a batch without labels).
    """
    terms: list[Tensor] = []
    for task, task_logits in logits.items():
        if task not in labels or not bool((labels[task] != IGNORE_INDEX).any()):
            continue
        weight = emotion_weight if task == "emotion" else 1.0
        terms.append(weight * masked_cross_entropy(task_logits, labels[task]))
    return torch.stack(terms).sum() if terms else None


def trainable_parameters(model: nn.Module) -> list[nn.Parameter]:
    """The parameters the optimiser updates (frozen pre-trained encoders live outside the model)."""
    return [p for p in model.parameters() if p.requires_grad]


def weight_decay_groups(model: nn.Module, weight_decay: float) -> list[dict[str, Any]]:
    """Adam parameter groups: L2 on trainable weight matrices, none on biases (choice).

    Biases start at 0 and carry no scale, so decaying them only fights the fit.
    """
    decayed = [p for p in trainable_parameters(model) if p.ndim >= 2]
    plain = [p for p in trainable_parameters(model) if p.ndim < 2]
    return [
        {"params": decayed, "weight_decay": weight_decay},
        {"params": plain, "weight_decay": 0.0},
    ]
