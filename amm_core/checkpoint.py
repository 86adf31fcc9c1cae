"""Checkpoints that rebuild their model alone: config + label sets + encoder ids + versions +
weights (+ optimiser state and epoch for resuming). Always loaded with `weights_only=True`."""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from amm_core import __version__
from amm_core.config import RunConfig, from_dict, to_dict

FORMAT_VERSION = 1


class CheckpointError(ValueError):
    """A checkpoint that cannot be used; the message is one line naming the file."""


@dataclass
class Checkpoint:
    config: RunConfig
    label_sets: dict[str, list[str]]
    state_dict: dict[str, torch.Tensor]
    epoch: int = 0
    best_score: float | None = None
    optimizer_state: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # What the text features came from (features.text.text_model_identity); None in checkpoints
    # written before it was kept. Filled on save.
    text_identity: str | None = None

    def build(self) -> nn.Module:
        """The model, weights loaded, in eval mode."""
        from amm_core.model.variants import build_model

        model = build_model(self.config.model)
        model.load_state_dict(self.state_dict)
        return model.eval()


def save_checkpoint(checkpoint: Checkpoint, path: Path) -> str:
    """Write atomically (temp file + rename); return the file's sha256."""
    payload = {
        "format_version": FORMAT_VERSION,
        "amm_version": __version__,
        "torch_version": str(torch.__version__),
        "config": to_dict(checkpoint.config),
        "label_sets": checkpoint.label_sets,
        "encoders": {
            "text": checkpoint.config.features.text_model,
            "text_identity": checkpoint.text_identity or _text_identity(checkpoint.config),
            "vision": "tf_efficientnet_lite0",
        },
        "state_dict": {k: v.detach().cpu() for k, v in checkpoint.state_dict.items()},
        "epoch": checkpoint.epoch,
        "best_score": checkpoint.best_score,
        "optimizer_state": checkpoint.optimizer_state,
        "extra": checkpoint.extra,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    os.close(fd)
    try:
        torch.save(payload, tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return file_sha256(path)


def load_checkpoint(path: Path) -> Checkpoint:
    if not path.is_file():
        raise CheckpointError(f"{path}: checkpoint not found")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # pickle / zip errors from a corrupt or foreign file
        raise CheckpointError(
            f"{path}: not a readable AMM checkpoint ({type(exc).__name__})"
        ) from exc
    if not isinstance(payload, dict) or payload.get("format_version") != FORMAT_VERSION:
        found = payload.get("format_version") if isinstance(payload, dict) else None
        raise CheckpointError(
            f"{path}: checkpoint format {found!r} is not supported by this version "
            f"(expects {FORMAT_VERSION}); retrain the run"
        )
    try:
        config = from_dict(payload["config"])
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(f"{path}: incompatible checkpoint config ({exc})") from exc
    _check_parts(payload, path)
    return Checkpoint(
        config=config,
        label_sets=payload["label_sets"],
        state_dict=payload["state_dict"],
        epoch=payload.get("epoch", 0),
        best_score=payload.get("best_score"),
        optimizer_state=payload.get("optimizer_state"),
        extra=payload.get("extra") or {},
        text_identity=(payload.get("encoders") or {}).get("text_identity"),
    )


def _check_parts(payload: dict[str, Any], path: Path) -> None:
    """CheckpointError naming the first part of the payload that is missing or malformed."""
    label_sets, state, extra = (payload.get(k) for k in ("label_sets", "state_dict", "extra"))
    names_ok = isinstance(label_sets, dict) and all(
        isinstance(v, list) and all(isinstance(x, str) for x in v) for v in label_sets.values())
    if not names_ok:
        problem = "its label sets are missing or malformed"
    elif not (isinstance(state, dict) and state
              and all(isinstance(v, torch.Tensor) for v in state.values())):
        problem = "its weights are missing or malformed"
    elif extra is not None and not isinstance(extra, dict):
        problem = "its training state is malformed"
    else:
        return
    raise CheckpointError(f"{path}: incompatible AMM checkpoint ({problem}); retrain the run")


def _text_identity(config: RunConfig) -> str | None:
    from amm_core.features.text import text_model_identity

    try:
        return text_model_identity(config.features.text_model)
    except (OSError, ValueError):  # a model that is not here: nothing to pin it by
        return None


def check_text_model(checkpoint: Checkpoint, path: Path) -> None:
    """CheckpointError (one line) when the run's text model now gives other features than it
    was trained on: a folder whose files changed, another cached revision of a Hugging Face id.
    A model that is not here at all is left to the encoder's own message."""
    stored = checkpoint.text_identity
    current = _text_identity(checkpoint.config)
    if stored is None or current is None or current.endswith("@unknown") or current == stored:
        return
    name = checkpoint.config.features.text_model
    raise CheckpointError(
        f"{path}: the run was trained with text model {name!r}, which is no longer the same "
        f"model ({stored} then, {current} now); restore that model or retrain the run"
    )


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
