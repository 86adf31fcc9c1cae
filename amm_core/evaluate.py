"""Score a model's probabilities against feature items: the ARCHITECTURE.md metrics `M`, with
bootstrap intervals and, for DAIC, per-session (participant) aggregation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from amm_core.dataset import FeatureItem
from amm_core.metrics import evaluate_predictions

DEPRESSION_LABELS = ["not depressed", "depressed"]


def task_labels(task: str, label_sets: dict[str, list[str]]) -> list[str]:
    return list(label_sets.get(task) or (DEPRESSION_LABELS if task == "depression" else []))


def score(
    probs: dict[str, np.ndarray],
    items: Sequence[FeatureItem],
    label_sets: dict[str, list[str]],
    *,
    bootstrap: int = 1000,
    seed: int = 0,
) -> dict[str, Any]:
    """`M` for every task the model predicts; a task with no labelled item is absent.

    Per-session scores are added when items carry a group (DAIC session id).
    """
    per_task = {
        task: {
            "y_true": np.array([it.labels.get(task, -100) for it in items]),
            "y_pred": None,
            "probs": task_probs,
            "labels": task_labels(task, label_sets),
        }
        for task, task_probs in probs.items()
    }
    groups = [it.group for it in items]
    use_groups = all(g is not None for g in groups) and len(set(groups)) > 1
    return evaluate_predictions(per_task, groups=groups if use_groups else None,
                                bootstrap=bootstrap, seed=seed)


def prediction_rows(
    probs: dict[str, np.ndarray], sample_ids: Sequence[int], label_sets: dict[str, list[str]]
) -> list[dict[str, Any]]:
    """Rows for the predictions table: {sample_id, task, label, probabilities: {label: p}}."""
    rows = []
    for task, task_probs in probs.items():
        names = task_labels(task, label_sets)
        for sample_id, p in zip(sample_ids, task_probs, strict=True):
            rows.append({
                "sample_id": sample_id, "task": task, "label": names[int(p.argmax())],
                "probabilities": {name: round(float(v), 6) for name, v in zip(names, p,
                                                                               strict=True)},
            })
    return rows
