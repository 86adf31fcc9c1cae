"""The AMM network (encoders -> I_e -> task LSTMs + I_t -> heads) and its batch / output types.

`AMMBase` holds what every variant shares: the modality masking, `forward(batch)` with the loss,
and the Captum seam `task_logits(text, visual, ...)`. `AMM` is the attentive network; the flags
`inter_modal` / `inter_task` and the task tuple give the ablations (see variants.py).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import torch
from torch import Tensor, nn

from amm_core.config import MODALITIES, TASKS, ModelConfig
from amm_core.model.attention import masked_mean
from amm_core.model.encoders import TextEncoder, VisualEncoder
from amm_core.model.heads import AttentionPoolHead
from amm_core.model.initialisation import init_uniform_
from amm_core.model.inter_modal import InterModalAttention, ModalitySequence
from amm_core.model.inter_task import TaskSequences
from amm_core.model.loss import multitask_loss


@dataclass
class AMMBatch:
    """Cached features of B samples. Masks are bool, True = a real token / zone / clip."""

    text: Tensor  # (B, T, text_dim) frozen token features
    text_mask: Tensor  # (B, T) bool; a row may be all False (empty text)
    gender: Tensor  # (B, text_dim) frozen embedding of "female" / "male" / "unknown"
    visual: Tensor  # (B, V, visual_dim) zone / clip / frame features
    visual_mask: Tensor  # (B, V) bool
    colour: Tensor  # (B, colour_dim) HSV histogram (zeros when there are no pixels)
    has_visual: Tensor  # (B,) bool; False -> the visual modality is missing for that row
    labels: dict[str, Tensor] | None = None  # task -> (B,) long, -100 = missing

    def to(self, device: torch.device | str) -> AMMBatch:
        moved = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "labels"}
        moved = {name: t.to(device) for name, t in moved.items()}
        labels = None if self.labels is None else {k: v.to(device) for k, v in self.labels.items()}
        return AMMBatch(**moved, labels=labels)

    def inputs(self) -> tuple[Tensor, ...]:
        """Positional arguments of `task_logits` / `compute`, in order."""
        return (
            self.text,
            self.visual,
            self.text_mask,
            self.gender,
            self.visual_mask,
            self.colour,
            self.has_visual,
        )

    @property
    def size(self) -> int:
        return self.text.shape[0]


@dataclass
class AMMOutput:
    """Everything the dashboard reads from one forward pass (MODEL.md section 8)."""

    logits: dict[str, Tensor]  # task -> (B, C)
    probs: dict[str, Tensor]  # task -> (B, C), softmax of logits
    word_attention: Tensor  # (B, T) alpha^t; zeros for a row without text
    visual_attention: Tensor  # (B, V) alpha^v; zeros for a row without visual input
    inter_modal: dict[str, Tensor] | None = None  # t2v (B, H, Lt, Lv), v2t (B, H, Lv, Lt)
    inter_task: dict[str, Tensor] | None = None  # dep_from_emo / emo_from_dep (B, L, L)
    loss: Tensor | None = None  # scalar when the batch has labels

    @property
    def tasks(self) -> tuple[str, ...]:
        return tuple(self.logits)

    def cpu(self) -> AMMOutput:
        """A detached copy on the CPU, for storage and plotting."""

        def move(value: object) -> object:
            if isinstance(value, Tensor):
                return value.detach().cpu()
            if isinstance(value, dict):
                return {k: v.detach().cpu() for k, v in value.items()}
            return value

        return replace(self, **{f.name: move(getattr(self, f.name)) for f in fields(self)})


@dataclass
class InputMasks:
    """Which parts of the input a model may look at, after the modality setting is applied."""

    text_row: Tensor  # (B,) the text modality is used (gender slot valid even for empty text)
    text_steps: Tensor  # (B, T)
    visual_row: Tensor  # (B,) the row has visual input and the visual modality is used
    visual_steps: Tensor  # (B, V)


def modality_masks(
    modalities: str, text_mask: Tensor, visual_mask: Tensor, has_visual: Tensor
) -> InputMasks:
    """Mask out a modality the setting leaves out, and the visual part of rows without it."""
    parts = modalities.split("+")
    text_row = torch.full_like(has_visual.bool(), "text" in parts)  # (B,)
    visual_row = has_visual.bool() & ("image" in parts)  # (B,)
    return InputMasks(
        text_row=text_row,
        text_steps=text_mask.bool() & text_row.unsqueeze(1),
        visual_row=visual_row,
        visual_steps=visual_mask.bool() & visual_row.unsqueeze(1),
    )


def zero_masked(x: Tensor, mask: Tensor) -> Tensor:
    """x with masked entries set to 0 (even NaN / inf), so nothing leaks from them."""
    return x.masked_fill(~mask.unsqueeze(-1), 0.0)


def task_classes(config: ModelConfig) -> dict[str, int]:
    return {"depression": config.n_depression_classes, "emotion": config.n_emotion_classes}


class AMMBase(nn.Module):
    """Shared by every variant: input checks, masking, loss and the Captum seam."""

    def __init__(self, config: ModelConfig, tasks: tuple[str, ...]) -> None:
        super().__init__()
        if config.modalities not in MODALITIES:
            valid = ", ".join(MODALITIES)
            raise ValueError(f"unknown modalities {config.modalities!r}; valid: {valid}")
        unknown = [t for t in tasks if t not in TASKS]
        if unknown or not tasks:
            raise ValueError(f"unknown task(s) {unknown}; valid: {', '.join(TASKS)}")
        self.config = config
        self.tasks = tasks

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
        """The whole forward pass without the loss; subclasses implement it."""
        raise NotImplementedError

    def forward(self, batch: AMMBatch, *, emotion_weight: float = 1.0) -> AMMOutput:
        """Outputs for the batch; `loss` is set when the batch carries labels."""
        output = self.compute(*batch.inputs())
        if batch.labels is not None:
            output.loss = multitask_loss(output.logits, batch.labels, emotion_weight)
        return output

    def task_logits(
        self,
        text: Tensor,
        visual: Tensor,
        text_mask: Tensor,
        gender: Tensor,
        visual_mask: Tensor,
        colour: Tensor,
        has_visual: Tensor,
        task: str | None = None,
    ) -> Tensor:
        """One task's logits (B, C): the function Captum attributes to (text, visual).

        Pass the rest as `additional_forward_args=(text_mask, gender, visual_mask, colour,
        has_visual, task)` or by keyword. `task` defaults to the main task the model has.
        """
        task = task or ("depression" if "depression" in self.tasks else self.tasks[0])
        if task not in self.tasks:
            raise ValueError(f"this model predicts {', '.join(self.tasks)}, not {task!r}")
        inputs = (text, visual, text_mask, gender, visual_mask, colour, has_visual)
        return self.compute(*inputs).logits[task]

    def check_inputs(self, text: Tensor, visual: Tensor, gender: Tensor, colour: Tensor) -> None:
        """Feature sizes must match the config (e.g. 1280-d EfficientNet vs 38-d OpenFace)."""
        expected = [
            ("text", text, 3, self.config.text_dim, "text_dim"),
            ("gender", gender, 2, self.config.text_dim, "text_dim"),
            ("visual", visual, 3, self.config.visual_dim, "visual_dim"),
            ("colour", colour, 2, self.config.colour_dim, "colour_dim"),
        ]
        for name, tensor, ndim, dim, field_name in expected:
            if tensor.ndim != ndim or tensor.shape[-1] != dim:
                raise ValueError(
                    f"{name} features have shape {tuple(tensor.shape)}, expected last size {dim} "
                    f"and {ndim} dims (ModelConfig.{field_name}={dim})"
                )


class AMM(AMMBase):
    """Attentive multi-modal multi-task network (paper section III)."""

    def __init__(
        self,
        config: ModelConfig,
        *,
        tasks: tuple[str, ...] = TASKS,
        inter_modal: bool = True,
        inter_task: bool = True,
    ) -> None:
        super().__init__(config, tasks)
        c = config
        self.text_encoder = TextEncoder(c.text_dim, c.gru_hidden, c.dropout)
        self.visual_encoder = VisualEncoder(c.visual_dim, c.gru_hidden, c.dropout)
        text_out, visual_out = self.text_encoder.out_dim, self.visual_encoder.out_dim
        knowledge = c.text_dim * (2 if c.text_mean_knowledge else 1)  # gender (+ mean tokens)
        self.text_sequence = ModalitySequence(text_out + knowledge, text_out, c.d_model)
        self.visual_sequence = ModalitySequence(visual_out + c.colour_dim, visual_out, c.d_model)
        self.inter_modal = (
            InterModalAttention(c.d_model, c.n_heads, c.dropout) if inter_modal else None
        )
        self.task_sequences = TaskSequences(
            tasks,
            c.d_model,
            c.lstm_hidden,
            inter_task=inter_task,
            residual=c.inter_task_residual,
            dropout=c.dropout,
        )
        classes = task_classes(c)
        self.heads = nn.ModuleDict({
            t: AttentionPoolHead(c.lstm_hidden, classes[t], c.dropout, c.per_modality_pooling,
                                 norm=c.head_norm)
            for t in tasks
        })
        init_uniform_(self, c.init_range)

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
        # Encoders (eq. 1-2); masked inputs are zeroed so their content cannot matter.
        h_text_seq, h_text, word_attention = self.text_encoder(
            zero_masked(text, m.text_steps), m.text_steps
        )  # (B, T, 2h), (B, 2h), (B, T)
        h_vis_seq, h_vis, visual_attention = self.visual_encoder(
            zero_masked(visual, m.visual_steps), m.visual_steps
        )  # (B, V, h'), (B, h'), (B, V)
        # External knowledge: h^tg = h^t (+) h^gen [(+) mean frozen tokens], h^vc = h^v (+) h^col.
        knowledge = [h_text, zero_masked(gender, m.text_row)]  # (B, 2h), (B, text_dim)
        if self.config.text_mean_knowledge:
            knowledge.append(masked_mean(zero_masked(text, m.text_steps), m.text_steps))
        h_tg = torch.cat(knowledge, dim=-1)  # (B, 2h + text_dim [+ text_dim])
        h_vc = torch.cat([h_vis, zero_masked(colour, m.visual_row)], dim=-1)  # (B, h'+colour)
        xt, t_mask = self.text_sequence(h_tg, h_text_seq, m.text_row, m.text_steps)  # (B, Lt, D)
        xv, v_mask = self.visual_sequence(h_vc, h_vis_seq, m.visual_row, m.visual_steps)
        # Inter-modal attention I_e, or the plain concatenation for the ablations.
        inter_modal_weights = None
        if self.inter_modal is not None:
            fused, fused_mask, inter_modal_weights = self.inter_modal(xt, t_mask, xv, v_mask)
        else:
            fused = torch.cat([xt, xv], dim=1)  # (B, Lt+Lv, D)
            fused_mask = torch.cat([t_mask, v_mask], dim=1)  # (B, Lt+Lv)
        # Task LSTMs and inter-task attention I_t, then one head per task.
        sequences, inter_task_weights = self.task_sequences(fused, fused_mask)
        text_steps = xt.shape[1]  # M^(m) and the concatenation both put the text part first
        logits = {t: self.heads[t](sequences[t], fused_mask, text_steps) for t in self.tasks}
        return AMMOutput(
            logits=logits,
            probs={t: torch.softmax(v, dim=-1) for t, v in logits.items()},
            word_attention=word_attention,
            visual_attention=visual_attention,
            inter_modal=inter_modal_weights,
            inter_task=inter_task_weights,
        )
