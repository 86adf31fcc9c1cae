"""A trained run, ready to predict: checkpoint + normaliser + gender table + featurizers.

`Predictor.from_checkpoint(path, cache_dir)` loads once; `predict_items` scores feature items,
`predict_upload` takes a text and an optional image or video (bytes or path) as a user gives them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from amm_core.checkpoint import Checkpoint, CheckpointError, check_text_model, load_checkpoint
from amm_core.config import GENDER_WORDS, RunConfig
from amm_core.dataset import FeatureItem, VisualNormaliser, gender_table
from amm_core.evaluate import task_labels
from amm_core.model.amm import task_classes
from amm_core.train import predict_items, resolve_device
from amm_core.uploads import VISION_FEATURES as VISION_FEATURES  # re-exported
from amm_core.uploads import upload_rules

VIDEO_SUFFIXES = (".mp4", ".m4v", ".avi", ".mov", ".mkv", ".webm")  # features.video containers


def _rebuild(checkpoint: Checkpoint, path: Path) -> tuple[nn.Module, VisualNormaliser]:
    """The model and the visual normaliser; CheckpointError (one line) when the weights, the
    label sets or the normaliser do not fit the checkpoint's own config."""
    try:
        model = checkpoint.build()
    except (RuntimeError, KeyError, ValueError) as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        raise CheckpointError(f"{path}: its weights do not fit its config ({first}); "
                              "retrain the run") from None
    for task, classes in task_classes(checkpoint.config.model).items():
        names = task_labels(task, checkpoint.label_sets)
        if task in getattr(model, "tasks", ()) and len(names) != classes:
            raise CheckpointError(f"{path}: its {task} label set has {len(names)} names for "
                                  f"{classes} classes; retrain the run")
    norm, dim = checkpoint.extra.get("visual_norm"), checkpoint.config.model.visual_dim
    try:
        normaliser = VisualNormaliser.from_state(norm) if norm else VisualNormaliser.fit([], dim)
        if normaliser.mean.shape != (dim,) or normaliser.std.shape != (dim,):
            raise ValueError(f"{dim} values expected")
    except (KeyError, TypeError, ValueError, AttributeError, RuntimeError) as exc:
        raise CheckpointError(f"{path}: its visual normaliser is malformed "
                              f"({type(exc).__name__}: {exc}); retrain the run") from None
    return model, normaliser


def _check_text_width(checkpoint: Checkpoint, genders: dict[str, torch.Tensor], path: Path
                      ) -> None:
    """The text model must give the width the run was trained on (checkpoints that predate
    text_identity are only checked this way)."""
    width, expected = int(next(iter(genders.values())).shape[-1]), checkpoint.config.model.text_dim
    if width != expected:
        name = checkpoint.config.features.text_model
        raise CheckpointError(f"{path}: text model {name!r} now gives {width}-wide features; "
                              f"the run was trained on {expected}-wide ones: restore the model "
                              "it was trained with or retrain the run")


@dataclass
class Predictor:
    model: nn.Module
    config: RunConfig
    label_sets: dict[str, list[str]]
    normaliser: VisualNormaliser
    genders: dict[str, torch.Tensor]
    device: torch.device
    cache_dir: Path | None
    # Tasks whose head never saw a train label (a DAIC run before any gold emotion label): their
    # outputs are left out of every prediction (set from the run row by the CLI's loader).
    untrained_tasks: tuple[str, ...] = ()

    @classmethod
    def from_checkpoint(cls, path: Path, cache_dir: Path | None, device: str = "auto") -> Predictor:
        checkpoint: Checkpoint = load_checkpoint(path)
        check_text_model(checkpoint, path)
        model, normaliser = _rebuild(checkpoint, path)
        chosen = resolve_device(device)
        genders = gender_table(checkpoint.config.features, cache_dir, str(chosen))
        _check_text_width(checkpoint, genders, path)
        return cls(
            model=model.to(chosen), config=checkpoint.config, label_sets=checkpoint.label_sets,
            normaliser=normaliser, genders=genders, device=chosen, cache_dir=cache_dir,
        )

    @property
    def modalities(self) -> tuple[str, ...]:
        return tuple(self.config.model.modalities.split("+"))

    def predict_items(self, items: list[FeatureItem]) -> dict[str, np.ndarray]:
        probs = predict_items(self.model, items, self.genders, self.config, self.normaliser,
                              self.device)
        return {t: p for t, p in probs.items() if t not in self.untrained_tasks}

    def predict_upload(
        self, text: str, media: Path | None = None, gender: str | None = None
    ) -> dict[str, Any]:
        """Probabilities per task for one upload; ValueError (one line) on unusable input."""
        started = time.perf_counter()
        item = self.upload_item(text, media, gender)
        probs = self.predict_items([item])
        result: dict[str, Any] = {}
        for task, p in probs.items():
            names = task_labels(task, self.label_sets)
            probabilities = {n: round(float(v), 6) for n, v in zip(names, p[0], strict=True)}
            result[task] = {"label": names[int(p[0].argmax())], "probabilities": probabilities}
        return {"predictions": result, "device": str(self.device),
                "latency_ms": round((time.perf_counter() - started) * 1000, 1)}

    def upload_item(self, text: str, media: Path | None, gender: str | None,
                    kind: str | None = None) -> FeatureItem:
        """One upload's features; `kind` ("image" | "video") as checked by the caller, else
        from the file's suffix."""
        from amm_core.features.cache import FeatureCache
        from amm_core.features.extract import ImageFeaturizer, TextFeaturizer, VideoFeaturizer

        if gender is not None and gender not in GENDER_WORDS:
            raise ValueError(f"gender must be one of {', '.join(GENDER_WORDS)}, not {gender!r}")
        if not (text or "").strip() and media is None:
            raise ValueError("empty text needs an image or a video")
        rules = upload_rules(self.config.model.modalities, self.config.model.visual_dim)
        if media is not None and rules.media_reason:
            raise ValueError(rules.media_reason)
        if not rules.uses_text:
            text = ""  # an image-only run ignores text (said in the result by the caller)
        cache = FeatureCache(self.cache_dir)
        features = self.config.features
        token = TextFeaturizer(features, cache, self.device)([text or ""])[0]
        item = FeatureItem(text=token.token_features, tokens=list(token.tokens),
                           gender=gender or "unknown")
        if media is not None:
            is_video = (kind == "video" if kind is not None
                        else Path(media).suffix.lower() in VIDEO_SUFFIXES)
            featurizer = (VideoFeaturizer if is_video else ImageFeaturizer)(features, cache,
                                                                            self.device)
            visual = featurizer([media])[0]
            item.visual, item.colour = visual.steps, visual.colour
            item.visual_mask = torch.ones(visual.steps.shape[0], dtype=torch.bool)
        return item
