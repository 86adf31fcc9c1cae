"""Why the AMM decided: Captum attributions and the model's own attention for one item and task.

`explain_item` runs Integrated Gradients through the `task_logits` seam with the cached token and
visual step features as the attributed inputs (masks, gender and colour held fixed), and reads the
encoder, inter-modal and inter-task attention of the same forward pass. The result, an
`Explanation`, holds plain numbers only, so it outlives the run and serialises with `to_json()`.
Pixel maps live in explain_pixels.py, the files (JSON, HTML, PNG) in explain_report.py.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import Tensor

from amm_core.dataset import OPENFACE_DIM, FeatureItem, collate
from amm_core.evaluate import task_labels
from amm_core.explain_pixels import pixel_attribution
from amm_core.explain_report import write_explanation
from amm_core.features.device import cudnn_flags
from amm_core.model.amm import AMMBatch, AMMOutput, modality_masks
from amm_core.train import model_tasks

if TYPE_CHECKING:
    from amm_core.predict import Predictor

__all__ = ["Explanation", "explain_item", "pixel_attribution", "write_explanation"]
TEXT_SUMMARY = "[text + gender]"  # slot 0 of the text sequence of I_e (MODEL.md section 3)
VISUAL_SUMMARY = "[visual + colour]"  # slot 0 of the visual sequence


@dataclass
class Explanation:
    """One item, one task: predictions, attributions and attention, as plain Python / numpy."""

    task: str
    target: str  # the explained class
    target_index: int
    probabilities: dict[str, dict[str, float]]  # every task the run has -> class -> p
    tokens: list[str]
    token_attributions: list[float]  # IG per token (summed over the feature dim)
    delta: float  # |sum(attributions) - (F(x) - F(baseline))|, text and visual together
    zone_names: list[str]  # "zone 1 (top)".., "clip 1".., "window 1".. ([] without visual)
    zone_attributions: list[float] | None  # IG per zone / clip / window
    word_attention: list[float]  # encoder alpha^t per token
    visual_attention: list[float] | None  # encoder alpha^v per zone / clip / window
    inter_modal: dict[str, Any] | None = None  # t2v (H, Lt, Lv), v2t (H, Lv, Lt), step names
    inter_task: dict[str, Any] | None = None  # dep_from_emo, emo_from_dep (L, L), step names
    facial: np.ndarray | None = None  # DAIC: IG per (window, OpenFace feature)
    facial_names: list[str] | None = None
    visual_kind: str | None = None  # image | video | openface | None (no visual input used)
    baseline_logit: float = 0.0  # F(baseline): all token and step features zero
    target_logit: float = 0.0  # F(x)
    steps: int = 32
    notes: list[str] = field(default_factory=list)  # what is missing and why, for people

    def to_json(self) -> dict[str, Any]:
        """A plain JSON-able dict (arrays become nested lists, floats rounded to 6 places)."""
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self)}


def _plain(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (float, np.floating)):
        return round(float(value), 6)
    if isinstance(value, np.integer):
        return int(value)
    return value


def explain_item(
    predictor: Predictor,
    item: FeatureItem,
    task: str,
    target: str | int | None = None,
    steps: int = 32,
    *,
    visual_kind: str | None = None,
) -> Explanation:
    """Explain `predictor`'s `task` decision on `item`; ValueError (one line) on unusable input.

    `target` is a class name or index (None: the predicted class); `visual_kind` (image / video /
    openface) names the visual steps, inferred from the features when not given.
    """
    model = predictor.model
    if task not in model_tasks(model):
        raise ValueError(f"this run predicts {', '.join(model_tasks(model))}, not {task!r}")
    if task in getattr(predictor, "untrained_tasks", ()):
        raise ValueError(f"this run never learned the {task} task (its train split had no "
                         f"{task} label), so there is no {task} decision to explain")
    check_item(predictor, item)
    model.eval()
    batch = collate([item], predictor.genders, predictor.config.model,
                    predictor.normaliser).to(predictor.device)
    with torch.no_grad():
        output = model.compute(*batch.inputs()).cpu()
    classes = class_names(predictor, task, output.logits[task].shape[-1])
    index = resolve_target(classes, target, output.probs[task][0])
    text_attr, visual_attr, delta, baseline = integrated_gradients(model, batch, task, index, steps)
    kind = _used_visual_kind(predictor, item, batch, visual_kind)
    n_tokens, keep = item.text.shape[0], _valid_steps(item) if kind else []
    names = zone_names(kind, item.visual.shape[0]) if kind else []
    explanation = Explanation(
        task=task, target=classes[index], target_index=index,
        probabilities=probabilities(predictor, output),
        tokens=list(item.tokens), token_attributions=text_attr[:n_tokens].sum(-1).tolist(),
        delta=delta, zone_names=[names[j] for j in keep],
        zone_attributions=visual_attr[keep].sum(-1).tolist() if kind else None,
        word_attention=output.word_attention[0, :n_tokens].tolist(),
        visual_attention=output.visual_attention[0, keep].tolist() if kind else None,
        visual_kind=kind, baseline_logit=baseline,
        target_logit=float(output.logits[task][0, index]), steps=steps,
    )
    text_used = "text" in predictor.config.model.modalities.split("+")
    _add_attention_maps(explanation, output, n_tokens if text_used else None, keep, kind)
    if kind == "openface":
        from amm_core.data.openface import OPENFACE_FEATURES

        explanation.facial = visual_attr[keep]
        explanation.facial_names = list(OPENFACE_FEATURES)
    explanation.notes = _notes(predictor, item, kind, output)
    return explanation


def check_item(predictor: Predictor, item: FeatureItem) -> None:
    """The item's feature sizes must be the run's (an MGID run cannot read DAIC faces)."""
    config = predictor.config.model
    if item.text.shape[-1] != config.text_dim:
        raise ValueError(f"text features are {item.text.shape[-1]}-d but this run reads "
                         f"{config.text_dim}-d ones (another text model)")
    if item.visual is None or item.visual.shape[-1] == config.visual_dim:
        return
    if config.visual_dim == OPENFACE_DIM:
        raise ValueError("this run reads OpenFace facial features (DAIC): it cannot explain an "
                         "image or a video")
    raise ValueError("this run reads image features: it cannot explain OpenFace facial features "
                     "(DAIC)")


def class_names(predictor: Predictor, task: str, n_classes: int) -> list[str]:
    names = task_labels(task, predictor.label_sets)
    return names if len(names) == n_classes else [f"class {k}" for k in range(n_classes)]


def resolve_target(classes: list[str], target: str | int | None, probs: Tensor) -> int:
    """A class name or index -> index; None -> the predicted class. ValueError if unknown."""
    if target is None:
        return int(probs.argmax())
    if isinstance(target, (int, np.integer)) and not isinstance(target, bool):
        if 0 <= int(target) < len(classes):
            return int(target)
    elif str(target) in classes:
        return classes.index(str(target))
    elif str(target).lower() in [c.lower() for c in classes]:
        return [c.lower() for c in classes].index(str(target).lower())
    raise ValueError(f"unknown class {target!r}; this task's classes: {', '.join(classes)}")


def probabilities(predictor: Predictor, output: AMMOutput) -> dict[str, dict[str, float]]:
    result = {}
    for task, probs in output.probs.items():
        names = class_names(predictor, task, probs.shape[-1])
        result[task] = {n: float(p) for n, p in zip(names, probs[0].tolist(), strict=True)}
    return result


def integrated_gradients(
    model: torch.nn.Module, batch: AMMBatch, task: str, target: int, steps: int
) -> tuple[np.ndarray, np.ndarray, float, float]:
    """IG on (text, visual) from an all-zero baseline (what masking feeds the model).

    Returns text (T, d) and visual (V, d) attributions of row 0, the completeness delta and
    F(baseline). Gender and colour are held fixed (constant inputs, not attributed).
    """
    from captum.attr import IntegratedGradients

    ig = IntegratedGradients(model.task_logits)
    inputs = (batch.text, batch.visual)
    baselines = (torch.zeros_like(batch.text), torch.zeros_like(batch.visual))
    extra = (batch.text_mask, batch.gender, batch.visual_mask, batch.colour, batch.has_visual,
             task)
    # cuDNN's RNN backward refuses eval mode; the native kernels do not (MODEL.md section 8).
    cudnn_off = cudnn_flags(enabled=False) if batch.text.is_cuda else nullcontext()
    with cudnn_off:
        (text_attr, visual_attr), delta = ig.attribute(
            inputs, baselines=baselines, target=target, additional_forward_args=extra,
            n_steps=steps, internal_batch_size=steps, return_convergence_delta=True)
        with torch.no_grad():
            baseline = model.task_logits(*baselines, *extra)[0, target]
    return (text_attr[0].detach().cpu().numpy(), visual_attr[0].detach().cpu().numpy(),
            abs(float(delta[0])), float(baseline))


def infer_visual_kind(predictor: Predictor, item: FeatureItem) -> str | None:
    """openface (38-d), image (n_zones steps) or video (n_clips steps); None without visual."""
    if item.visual is None or item.visual_mask is None or not bool(item.visual_mask.any()):
        return None
    if item.visual.shape[-1] == OPENFACE_DIM:
        return "openface"
    return "image" if item.visual.shape[0] == predictor.config.features.n_zones else "video"


def _used_visual_kind(
    predictor: Predictor, item: FeatureItem, batch: AMMBatch, given: str | None
) -> str | None:
    """The item's visual kind when the run actually reads it (an image modality, a real step)."""
    masks = modality_masks(predictor.config.model.modalities, batch.text_mask,
                           batch.visual_mask, batch.has_visual)
    if not bool(masks.visual_row[0]):
        return None
    return given or infer_visual_kind(predictor, item)


def zone_names(kind: str | None, n: int) -> list[str]:
    if kind is None or n == 0:
        return []
    if kind == "image":
        if n == 1:
            return ["zone 1 (whole image)"]
        middle = [f"zone {k}" for k in range(2, n)]
        return ["zone 1 (top)", *middle, f"zone {n} (bottom)"]
    prefix = {"video": "clip", "openface": "window"}.get(kind, "step")
    return [f"{prefix} {k}" for k in range(1, n + 1)]


def _valid_steps(item: FeatureItem) -> list[int]:
    """Indices of the item's visual steps that hold data (a DAIC window without OpenFace frames
    is masked: it is left out of the figures, not shown as a step of zero influence)."""
    if item.visual_mask is None:
        return list(range(item.visual.shape[0]))
    return [int(i) for i in torch.nonzero(item.visual_mask).flatten()]


def _add_attention_maps(explanation: Explanation, output: AMMOutput, n_tokens: int | None,
                        keep: list[int], kind: str | None) -> None:
    """Inter-modal and inter-task weights of row 0 over the steps that hold data: the text's
    (None when the run does not read text) and the visual steps `keep`."""
    text_idx = list(range(1 + n_tokens)) if n_tokens is not None else []
    visual_idx = [0, *(1 + j for j in keep)] if kind else []  # slot 0: the visual summary
    text_names = [TEXT_SUMMARY, *explanation.tokens] if text_idx else []
    visual_names = [VISUAL_SUMMARY, *explanation.zone_names] if visual_idx else []
    t, v = torch.tensor(text_idx, dtype=torch.long), torch.tensor(visual_idx, dtype=torch.long)
    if output.inter_modal is not None and text_idx and visual_idx:
        explanation.inter_modal = {
            "t2v": output.inter_modal["t2v"][0][:, t][:, :, v].numpy(),  # (H, Lt, Lv)
            "v2t": output.inter_modal["v2t"][0][:, v][:, :, t].numpy(),  # (H, Lv, Lt)
            "text_steps": text_names, "visual_steps": visual_names,
        }
    if output.inter_task is not None:
        padded_text = output.word_attention.shape[1] + 1  # fused = [text seq; visual seq]
        index = torch.tensor(text_idx + [padded_text + j for j in visual_idx], dtype=torch.long)
        explanation.inter_task = {
            name: weights[0][index][:, index].numpy() for name, weights in output.inter_task.items()
        }
        explanation.inter_task["steps"] = text_names + visual_names


def _notes(
    predictor: Predictor, item: FeatureItem, kind: str | None, output: AMMOutput
) -> list[str]:
    notes = []
    modalities = predictor.config.model.modalities
    if "text" not in modalities.split("+"):
        notes.append(f"this run reads {modalities} only: the text is ignored (attributions 0)")
    if kind is None:
        why = item.visual_error or (
            "this run does not read images" if "image" not in modalities.split("+")
            else "the item has no visual input")
        notes.append(f"no zone attributions and no inter-modal attention: {why}")
    else:
        valid = set(_valid_steps(item))
        missing = [name for j, name in enumerate(zone_names(kind, item.visual.shape[0]))
                   if j not in valid]
        if missing:
            notes.append(f"{', '.join(missing)}: no data (masked), left out of the figures")
    if output.inter_modal is None:
        notes.append("this model variant has no inter-modal attention")
    if output.inter_task is None:
        notes.append("this model variant has no inter-task attention")
    return notes
