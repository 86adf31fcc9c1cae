"""Classification metrics for one task (paper section IV-A), per-session DAIC scores, and the
evaluation report `M` the CLI and the dashboard show. Pure numpy: no torch, no sklearn.

Definitions, for one task with K classes scored over the rows whose true label is not -100:

- confusion[i][j]: rows whose true class is i and predicted class is j, over ALL K labels in order.
- per class c: precision = tp / predicted_c, recall = tp / support_c,
  f1 = 2 tp / (support_c + predicted_c) (the harmonic mean of the two, written so it is defined
  whenever either count is non-zero).
- micro_f1: F1 of the pooled counts, 2 sum(tp) / (sum(support) + sum(predicted)); every row has
  exactly one true and one predicted class, so it equals accuracy (the paper's headline number).
- macro_f1, precision, recall: unweighted means of the per-class values over the classes that
  occur in y_true or y_pred (a class nobody has nor predicts says nothing about the model).
  Precision and recall are macro averages because their micro averages are both the accuracy.
- balanced_accuracy: mean per-class recall over the classes present in y_true.
- positive_f1 (binary tasks only): F1 of class index 1 (depressed / sad).
- Zero division (a class never predicted, or never true) gives 0.0, as sklearn's
  zero_division=0. Floats are Python floats rounded to 6 decimals.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np

from amm_core.metrics_bootstrap import (
    IGNORE_INDEX,
    bootstrap_intervals,
    confusion_matrix,
    confusion_scores,
    scored_rows,
)

__all__ = [
    "IGNORE_INDEX",
    "aggregate_by_group",
    "bootstrap_intervals",
    "evaluate_predictions",
    "task_metrics",
]

SCALAR_METRICS = ("micro_f1", "macro_f1", "precision", "recall", "accuracy", "balanced_accuracy")


def _rounded(value: float) -> float:
    return round(float(value), 6)


def _resolve_predictions(y_pred: Any, probs: Any, n_classes: int) -> np.ndarray:
    """y_pred as given, or the argmax of `probs` (N, K) when y_pred is None."""
    if y_pred is not None:
        return np.asarray(y_pred)
    if probs is None:
        raise ValueError("need y_pred or probs to score a task")
    probs = np.asarray(probs, dtype=float)
    if probs.ndim != 2 or probs.shape[1] != n_classes:
        raise ValueError(f"probs must be (rows, {n_classes}); got shape {probs.shape}")
    return probs.argmax(axis=1)


def _empty_metrics(labels: list[str]) -> dict[str, Any]:
    """No scored rows: every score is None (not 0: nothing was measured)."""
    k = len(labels)
    out: dict[str, Any] = {name: None for name in SCALAR_METRICS}
    out.update(
        n=0,
        labels=labels,
        confusion=[[0] * k for _ in range(k)],
        per_class={
            name: {"precision": None, "recall": None, "f1": None, "support": 0} for name in labels
        },
    )
    if k == 2:
        out["positive_f1"] = None
    return out


def task_metrics(
    y_true: Sequence[int] | np.ndarray,
    y_pred: Sequence[int] | np.ndarray | None,
    labels: Sequence[str],
    *,
    probs: Sequence[Sequence[float]] | np.ndarray | None = None,
) -> dict[str, Any]:
    """Scores of one task (definitions in the module docstring).

    y_true / y_pred: class indices into `labels`; y_true -100 marks a missing label (row skipped).
    y_pred may be None when `probs` (rows x K) is given: the argmax is scored (probs is only
    used for that; given y_pred wins).
    Returns the keys of ARCHITECTURE.md's `M` (micro_f1, macro_f1, precision, recall, accuracy,
    balanced_accuracy, confusion) plus n (rows scored), labels, per_class {name: {precision,
    recall, f1, support}} and, for two classes, positive_f1. With no scored row: n=0 and None.
    """
    labels = [str(name) for name in labels]
    k = len(labels)
    y_pred = _resolve_predictions(y_pred, probs, k)
    rows = scored_rows(y_true, y_pred, k)
    true, pred = rows.true, rows.pred
    if true.size == 0:
        return _empty_metrics(labels)
    conf = confusion_matrix(true, pred, k)
    scores = confusion_scores(conf[None].astype(float))
    out: dict[str, Any] = {name: _rounded(scores[name][0]) for name in SCALAR_METRICS}
    out.update(n=int(true.size), labels=labels, confusion=conf.tolist())
    out["per_class"] = {
        name: {
            "precision": _rounded(scores["class_precision"][0, c]),
            "recall": _rounded(scores["class_recall"][0, c]),
            "f1": _rounded(scores["class_f1"][0, c]),
            "support": int(conf[c].sum()),
        }
        for c, name in enumerate(labels)
    }
    if k == 2:
        out["positive_f1"] = _rounded(scores["positive_f1"][0])
    return out


def aggregate_by_group(
    group_ids: Sequence[Hashable] | np.ndarray,
    probs: Sequence[Sequence[float]] | np.ndarray,
    y_true: Sequence[int] | np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[Any]]:
    """Per-group (DAIC: per-participant session) labels and predictions from per-row ones.

    Rows whose true label is -100 are left out first, so the group scores use the same rows as
    the row scores; a group with no labelled row is absent. A group's probabilities are the mean
    of its rows' probabilities and its prediction their argmax. Its true label is the label of its
    rows, which is constant for DAIC depression; if rows disagree the majority wins, ties going to
    the smaller class index (both argmax ties likewise). Groups come out sorted by id.

    Returns (group_true (G,), group_pred (G,), group_probs (G, K), group_names [G]).
    """
    probs = np.asarray(probs, dtype=float)
    if probs.ndim != 2:
        raise ValueError(f"probs must be (rows, classes); got shape {probs.shape}")
    k = probs.shape[1]
    rows = scored_rows(y_true, probs.argmax(axis=1), k, groups=group_ids)
    true, probs = rows.true, probs[rows.keep]
    names, inverse = np.unique(rows.groups, return_inverse=True)
    inverse = inverse.reshape(-1)
    n_groups = names.size
    counts = np.bincount(inverse, minlength=n_groups).astype(float)
    sums = np.zeros((n_groups, k))
    np.add.at(sums, inverse, probs)
    group_probs = sums / np.maximum(counts, 1.0)[:, None]
    votes = np.bincount(inverse * k + true, minlength=n_groups * k).reshape(n_groups, k)
    return votes.argmax(axis=1), group_probs.argmax(axis=1), group_probs, names.tolist()


def _mixed_label_groups(group_ids: Any, y_true: Any, n_classes: int) -> int:
    """How many groups hold labelled rows of more than one class (their majority was taken)."""
    rows = scored_rows(y_true, np.zeros(np.asarray(y_true).size), n_classes, groups=group_ids)
    names, inverse = np.unique(rows.groups, return_inverse=True)
    present = np.zeros((names.size, n_classes), dtype=bool)
    present[inverse.reshape(-1), rows.true] = True
    return int(np.sum(present.sum(axis=1) > 1))


def _interval_metrics(n_classes: int) -> tuple[str, ...]:
    return SCALAR_METRICS + (("positive_f1",) if n_classes == 2 else ())


def _one_hot(y_pred: np.ndarray, n_classes: int) -> np.ndarray:
    return np.eye(n_classes)[np.clip(y_pred.astype(np.int64), 0, n_classes - 1)]


def _per_session(
    spec: Mapping[str, Any], y_pred: np.ndarray, groups: Any, bootstrap: int, seed: int
) -> dict[str, Any]:
    """task_metrics on per-group aggregates; without probs each row votes with a one-hot."""
    labels = list(spec["labels"])
    probs = spec.get("probs")
    probs = _one_hot(y_pred, len(labels)) if probs is None else np.asarray(probs, dtype=float)
    g_true, g_pred, g_probs, _ = aggregate_by_group(groups, probs, spec["y_true"])
    out = task_metrics(g_true, g_pred, labels, probs=g_probs)
    out["groups_with_mixed_labels"] = _mixed_label_groups(groups, spec["y_true"], len(labels))
    if bootstrap and out["n"]:
        metrics = _interval_metrics(len(labels))
        out["intervals"] = bootstrap_intervals(
            g_true, g_pred, labels, metrics=metrics, n=bootstrap, seed=seed
        )
    return out


def evaluate_predictions(
    per_task: Mapping[str, Mapping[str, Any]],
    *,
    groups: Sequence[Hashable] | np.ndarray | Mapping[str, Any] | None = None,
    bootstrap: int = 1000,
    seed: int = 0,
) -> dict[str, dict[str, Any]]:
    """The evaluation report `M` = {task: task_metrics + intervals [+ per_session]}.

    per_task: {task: {"y_true", "y_pred" (or None), "probs" (or None), "labels"}}.
    groups: row group ids (DAIC session ids), one sequence for every task or {task: sequence}
    (a task missing from the dict is ungrouped).
    With groups, the row intervals come from a cluster bootstrap over groups (rows of a session
    are not independent) and "per_session" holds the scores of the per-group aggregates, with
    their own intervals over groups. bootstrap: resamples (0 = no intervals). A task with no
    scored row is absent, as ARCHITECTURE.md asks of a task the run or split lacks.
    """
    report: dict[str, dict[str, Any]] = {}
    for task, spec in per_task.items():
        labels = list(spec["labels"])
        y_pred = _resolve_predictions(spec.get("y_pred"), spec.get("probs"), len(labels))
        metrics = task_metrics(spec["y_true"], y_pred, labels)
        if metrics["n"] == 0:
            continue
        task_groups = groups.get(task) if isinstance(groups, Mapping) else groups
        if bootstrap:
            metrics["intervals"] = bootstrap_intervals(
                spec["y_true"],
                y_pred,
                labels,
                metrics=_interval_metrics(len(labels)),
                n=bootstrap,
                seed=seed,
                groups=task_groups,
            )
            metrics["bootstrap"] = {
                "resamples": int(bootstrap),
                "seed": int(seed),
                "unit": "row" if task_groups is None else "group",
            }
        if task_groups is not None:
            metrics["per_session"] = _per_session(spec, y_pred, task_groups, bootstrap, seed)
        report[task] = metrics
    return report
