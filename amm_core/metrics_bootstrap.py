"""Scores computed from stacks of confusion matrices, and bootstrap 95 % intervals built on them.

The metrics of `amm_core.metrics` depend on the rows only through the confusion matrix, so a
bootstrap resample is a weighted sum of per-cluster confusion matrices: B resamples cost one
(B x G) @ (G x K*K) product instead of B passes over the rows.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Sequence
from typing import NamedTuple

import numpy as np

IGNORE_INDEX = -100  # a missing label; the same value as amm_core.model.loss.IGNORE_INDEX

_CHUNK_ELEMENTS = 2_000_000  # resample weights held at once (B x G floats, ~16 MB)


class ScoredRows(NamedTuple):
    """The rows that are scored (true label present), and which of the input rows they are."""

    true: np.ndarray  # (N,) int64
    pred: np.ndarray  # (N,) int64
    groups: np.ndarray | None  # (N,) group ids, when given
    keep: np.ndarray  # (rows,) bool over the input rows


def _index_array(values: object, name: str) -> np.ndarray:
    array = np.asarray(values).reshape(-1)
    integral = np.issubdtype(array.dtype, np.integer) or np.all(np.mod(array, 1) == 0)
    if not integral:
        raise ValueError(f"{name} must hold integer class indices")
    return array.astype(np.int64)


def scored_rows(
    y_true: object, y_pred: object, n_classes: int, groups: object | None = None
) -> ScoredRows:
    """Validate class indices and drop the rows whose true label is -100."""
    if n_classes < 1:
        raise ValueError("labels must name at least one class")
    true, pred = _index_array(y_true, "y_true"), _index_array(y_pred, "y_pred")
    if true.shape != pred.shape:
        raise ValueError(f"y_true has {true.size} rows but y_pred has {pred.size}")
    keep = true != IGNORE_INDEX
    group_array = None
    if groups is not None:
        group_array = np.asarray(groups).reshape(-1)
        if group_array.size != true.size:
            raise ValueError(f"groups has {group_array.size} rows but y_true has {true.size}")
        group_array = group_array[keep]
    true, pred = true[keep], pred[keep]
    for name, values in (("y_true", true), ("y_pred", pred)):
        bad = values[(values < 0) | (values >= n_classes)]
        if bad.size:
            raise ValueError(f"{name} holds class index {int(bad[0])}; expected 0..{n_classes - 1}")
    return ScoredRows(true, pred, group_array, keep)


def confusion_matrix(true: np.ndarray, pred: np.ndarray, n_classes: int) -> np.ndarray:
    """(K, K) int64 counts: rows = true class, columns = predicted class."""
    codes = true * n_classes + pred
    return np.bincount(codes, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def _safe_div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den, 0.0 where den is 0 (zero division counts as 0, like sklearn zero_division=0)."""
    return np.divide(num, den, out=np.zeros(np.broadcast(num, den).shape), where=den > 0)


def confusion_scores(conf: np.ndarray) -> dict[str, np.ndarray]:
    """Scores of a stack of confusion matrices (B, K, K) -> {name: (B,)} and class_* (B, K).

    Definitions are in the `amm_core.metrics` docstring; this is their single implementation.
    """
    conf = np.asarray(conf, dtype=float)
    tp = np.diagonal(conf, axis1=1, axis2=2)  # (B, K)
    support = conf.sum(axis=2)  # (B, K) rows whose true class is k
    predicted = conf.sum(axis=1)  # (B, K) rows predicted as k
    precision, recall = _safe_div(tp, predicted), _safe_div(tp, support)
    f1 = _safe_div(2 * tp, support + predicted)
    occurring = (support + predicted) > 0  # (B, K) class in y_true or y_pred
    in_truth = support > 0

    def mean_over(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return _safe_div((values * mask).sum(axis=1), mask.sum(axis=1))

    scores = {
        "micro_f1": _safe_div(2 * tp.sum(axis=1), support.sum(axis=1) + predicted.sum(axis=1)),
        "macro_f1": mean_over(f1, occurring),
        "precision": mean_over(precision, occurring),
        "recall": mean_over(recall, occurring),
        "accuracy": _safe_div(tp.sum(axis=1), support.sum(axis=1)),
        "balanced_accuracy": mean_over(recall, in_truth),
        "class_precision": precision,
        "class_recall": recall,
        "class_f1": f1,
    }
    if conf.shape[1] == 2:
        scores["positive_f1"] = f1[:, 1]
    return scores


def _resampled_confusions(
    cluster_conf: np.ndarray, n: int, rng: np.random.Generator
) -> Iterator[np.ndarray]:
    """Yield (b, K*K) confusion counts of bootstrap resamples of the G clusters, in chunks.

    cluster_conf: (G, K*K) per-cluster counts. Each resample draws G clusters with replacement;
    its confusion is the sum of the drawn clusters' confusions.
    """
    n_clusters = cluster_conf.shape[0]
    chunk = max(1, _CHUNK_ELEMENTS // n_clusters)
    for start in range(0, n, chunk):
        size = min(chunk, n - start)
        picks = rng.integers(0, n_clusters, size=(size, n_clusters))  # (b, G)
        offsets = (np.arange(size) * n_clusters)[:, None]
        weights = np.bincount((picks + offsets).ravel(), minlength=size * n_clusters)
        yield weights.reshape(size, n_clusters).astype(float) @ cluster_conf  # (b, K*K)


def _cluster_confusions(rows: ScoredRows, n_classes: int) -> np.ndarray:
    """(G, K*K) confusion counts per cluster: one per group id (sorted), else one per row."""
    codes = rows.true * n_classes + rows.pred
    if rows.groups is None:
        cluster = np.arange(codes.size)
    else:
        cluster = np.unique(rows.groups, return_inverse=True)[1].reshape(-1)
    n_clusters = int(cluster.max()) + 1
    flat = np.bincount(cluster * n_classes**2 + codes, minlength=n_clusters * n_classes**2)
    return flat.reshape(n_clusters, n_classes**2).astype(float)


def bootstrap_intervals(
    y_true: Sequence[int] | np.ndarray,
    y_pred: Sequence[int] | np.ndarray,
    labels: Sequence[str],
    *,
    metrics: Sequence[str] = ("micro_f1", "macro_f1"),
    n: int = 1000,
    seed: int = 0,
    groups: Sequence[Hashable] | np.ndarray | None = None,
) -> dict[str, list[float] | None]:
    """95 % percentile bootstrap intervals {metric: [low, high]} (numpy's linear percentiles).

    Rows with true label -100 are dropped first. Without `groups` rows are resampled; with
    `groups` (e.g. DAIC session ids) whole groups are (cluster bootstrap), so rows of one session
    stand or fall together. Each resample draws as many units as there are. Deterministic for a
    seed. With no scored row every interval is None. Metric names: those of `task_metrics`
    (micro_f1, macro_f1, precision, recall, accuracy, balanced_accuracy, positive_f1 if binary).
    """
    k = len(labels)
    known = [m for m in confusion_scores(np.zeros((1, k, k))) if not m.startswith("class_")]
    unknown = [m for m in metrics if m not in known]
    if unknown:
        raise ValueError(f"unknown metric(s) {unknown}; choose from {known}")
    if n < 1:
        raise ValueError(f"n must be at least 1 resample; got {n}")
    rows = scored_rows(y_true, y_pred, k, groups=groups)
    if rows.true.size == 0:
        return {m: None for m in metrics}
    cluster_conf = _cluster_confusions(rows, k)
    rng = np.random.default_rng(seed)
    values: dict[str, list[np.ndarray]] = {m: [] for m in metrics}
    for flat in _resampled_confusions(cluster_conf, n, rng):
        scores = confusion_scores(flat.reshape(-1, k, k))
        for m in metrics:
            values[m].append(scores[m])
    out: dict[str, list[float] | None] = {}
    for m in metrics:
        low, high = np.percentile(np.concatenate(values[m]), [2.5, 97.5])
        out[m] = [round(float(low), 6), round(float(high), 6)]
    return out
