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
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(f"{path}: incompatible checkpoint config ({exc})") from exc
    return Checkpoint(
        config=config,
        label_sets=payload["label_sets"],
        state_dict=payload["state_dict"],
        epoch=payload.get("epoch", 0),
        best_score=payload.get("best_score"),
        optimizer_state=payload.get("optimizer_state"),
        extra=payload.get("extra") or {},
    )


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
