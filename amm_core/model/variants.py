"""The model variants the experiments need (MODEL.md section 6), registered by name.

`build_model(config)` is the one factory; `VARIANTS` maps each name to its builder.
`linear` is the floor every variant must beat: logistic regression on pooled frozen features.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor, nn

from amm_core.config import MODALITIES, TASKS, ModelConfig
from amm_core.model.amm import AMM, AMMBase, AMMOutput, modality_masks, task_classes, zero_masked
from amm_core.model.attention import masked_mean, masked_softmax
from amm_core.model.heads import LinearHead
from amm_core.model.initialisation import init_uniform_


class LinearBaseline(AMMBase):
    """Per task: softmax(W [mean text tokens; mean visual steps; colour] + b).

    The features present follow the modality setting; a row without visual input gets zeros in
    the visual part. The reported attention is the uniform weight the mean gives each step.
    """

    def __init__(self, config: ModelConfig, tasks: tuple[str, ...] = TASKS) -> None:
        super().__init__(config, tasks)
        parts = config.modalities.split("+")
        self.use_text, self.use_image = "text" in parts, "image" in parts
        dim = (config.text_dim if self.use_text else 0) + (
            config.visual_dim + config.colour_dim if self.use_image else 0
        )
        classes = task_classes(config)
        self.heads = nn.ModuleDict({t: LinearHead(dim, classes[t]) for t in tasks})
        init_uniform_(self, config.init_range)

    def compute(
        self,
        text: Tensor,
        visual: Tensor,
        text_mask: Tensor,
        gender: Tensor,
        visual_mask: Tensor,
        colour: Tensor,
        has_visual: Tensor,
    ) -> AMMOutput:
        self.check_inputs(text, visual, gender, colour)
        m = modality_masks(self.config.modalities, text_mask, visual_mask, has_visual)
        features: list[Tensor] = []
        if self.use_text:
            features.append(masked_mean(zero_masked(text, m.text_steps), m.text_steps))
        if self.use_image:
            features.append(masked_mean(zero_masked(visual, m.visual_steps), m.visual_steps))
            features.append(zero_masked(colour, m.visual_row))
        pooled = torch.cat(features, dim=-1)  # (B, F)
        logits = {t: self.heads[t](pooled) for t in self.tasks}  # (B, C)
        return AMMOutput(
            logits=logits,
            probs={t: torch.softmax(v, dim=-1) for t, v in logits.items()},
            word_attention=masked_softmax(torch.zeros_like(text[..., 0]), m.text_steps),
            visual_attention=masked_softmax(torch.zeros_like(visual[..., 0]), m.visual_steps),
        )


def _single_task(config: ModelConfig) -> tuple[str, ...]:
    if config.task not in TASKS:
        raise ValueError(
            f"variant 'stl' needs a task: one of {', '.join(TASKS)} (got {config.task!r})"
        )
    return (config.task,)


def _build_linear(config: ModelConfig) -> nn.Module:
    # (choice) honour an explicit task so the floor matches an stl run; else both tasks.
    tasks = (config.task,) if config.task in TASKS else TASKS
    return LinearBaseline(config, tasks)


VariantBuilder = Callable[[ModelConfig], nn.Module]

VARIANTS: dict[str, VariantBuilder] = {
    "amm": lambda c: AMM(c),
    "stl": lambda c: AMM(c, tasks=_single_task(c), inter_task=False),
    "no_ie": lambda c: AMM(c, inter_modal=False),
    "no_it": lambda c: AMM(c, inter_task=False),
    "no_attention": lambda c: AMM(c, inter_modal=False, inter_task=False),
    "linear": _build_linear,
}


def build_model(config: ModelConfig) -> nn.Module:
    """The network `config.variant` names, freshly initialised (seed torch first to repeat)."""
    if config.variant not in VARIANTS:
        valid = ", ".join(VARIANTS)
        raise ValueError(f"unknown model variant {config.variant!r}; valid: {valid}")
    if config.modalities not in MODALITIES:
        valid = ", ".join(MODALITIES)
        raise ValueError(f"unknown modalities {config.modalities!r}; valid: {valid}")
    return VARIANTS[config.variant](config)
