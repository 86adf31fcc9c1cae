"""Error analysis of one run and task: the rows of a confusion cell, reliability-diagram bins with
the expected calibration error, and metrics per dataset slice. Pure numpy.

Scores come from `amm_core.metrics.task_metrics` (one definition of every metric); rows whose true
label is -100 (missing) are left out of every number here, as they are there.

Calibration (equal-width bins over the confidence, the top class probability):
- bin b holds the rows with confidence in (b/B, (b+1)/B]; the first bin also holds 0.
- per bin: count, mean confidence, accuracy (share of rows whose argmax is the true class).
- ECE = sum_b (count_b / N) * |accuracy_b - confidence_b| over the non-empty bins.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from amm_core.metrics import IGNORE_INDEX, aggregate_by_group, task_metrics

SLICE_METRICS = ("accuracy", "macro_f1", "balanced_accuracy")
# (largest word count in the bucket or None for no limit, bucket name), in order
CAPTION_LENGTH_BUCKETS: tuple[tuple[int | None, str], ...] = (
    (0, "no text"), (5, "1-5 words"), (15, "6-15 words"), (30, "16-30 words"),
    (None, "over 30 words"),
)


_VALUE_ORDER = {name: i for i, (_, name) in enumerate(CAPTION_LENGTH_BUCKETS)}


class Slices(dict):
    """{slice name: one value per row} that may carry the rows' cluster ids (DAIC sessions) as
    `groups`: per-slice intervals then resample whole clusters, as the headline interval does
    (amm_core.analysis_compare.slice_deltas reads them when it is given no groups itself)."""

    def __init__(self, columns: Mapping[str, Sequence[Any]], groups: Sequence[Any] | None = None):
        super().__init__(columns)
        self.groups = None if groups is None else list(groups)


def value_order(value: str) -> tuple[int, str]:
    """Sort key of slice values: caption-length buckets by their word range (not "16-30"
    before "6-15"), every other value alphabetically."""
    return _VALUE_ORDER.get(value, len(_VALUE_ORDER)), value


def caption_length_bucket(words: int) -> str:
    """The CAPTION_LENGTH_BUCKETS name of a text with `words` words."""
    for limit, name in CAPTION_LENGTH_BUCKETS:
        if limit is None or words <= limit:
            return name
    raise AssertionError("the last bucket has no limit")


def _arrays(y_true: Any, probs: Any) -> tuple[np.ndarray, np.ndarray]:
    true = np.asarray(y_true, dtype=np.int64).reshape(-1)
    matrix = np.asarray(probs, dtype=float)
    if matrix.ndim != 2 or matrix.shape[0] != true.size:
        raise ValueError(f"probs must be ({true.size}, classes); got shape {matrix.shape}")
    return true, matrix


def cell_rows(y_true: Any, y_pred: Any, true_class: int, predicted_class: int) -> np.ndarray:
    """Row positions of the confusion cell (true_class, predicted_class), in input order."""
    true = np.asarray(y_true).reshape(-1)
    pred = np.asarray(y_pred).reshape(-1)
    return np.flatnonzero((true == true_class) & (pred == predicted_class))


def reliability(y_true: Any, probs: Any, n_bins: int = 10) -> dict[str, Any]:
    """Reliability-diagram bins and the expected calibration error (module docstring).

    Returns {"n", "ece" (None with no scored row), "n_bins", "bins": [{"low", "high", "count",
    "confidence", "accuracy"}]} where confidence / accuracy are None for an empty bin.
    """
    if n_bins < 1:
        raise ValueError(f"n_bins must be at least 1; got {n_bins}")
    true, matrix = _arrays(y_true, probs)
    keep = true != IGNORE_INDEX
    true, matrix = true[keep], matrix[keep]
    confidence = matrix.max(axis=1) if true.size else np.zeros(0)
    correct = (matrix.argmax(axis=1) == true).astype(float) if true.size else np.zeros(0)
    # bin b = ceil(conf * B) - 1, clipped: (b/B, (b+1)/B], with 0 in the first bin
    index = np.clip(np.ceil(confidence * n_bins).astype(np.int64) - 1, 0, n_bins - 1)
    bins, ece = [], 0.0
    for b in range(n_bins):
        rows = index == b
        count = int(rows.sum())
        conf = float(confidence[rows].mean()) if count else None
        acc = float(correct[rows].mean()) if count else None
        if count:
            ece += count / true.size * abs(acc - conf)
        bins.append({"low": round(b / n_bins, 6), "high": round((b + 1) / n_bins, 6),
                     "count": count, "confidence": None if conf is None else round(conf, 6),
                     "accuracy": None if acc is None else round(acc, 6)})
    return {"n": int(true.size), "ece": round(ece, 6) if true.size else None,
            "n_bins": n_bins, "bins": bins}


def slice_metrics(
    y_true: Any,
    y_pred: Any,
    labels: Sequence[str],
    slices: Mapping[str, Sequence[Any]],
    *,
    metrics: Sequence[str] = SLICE_METRICS,
) -> list[dict[str, Any]]:
    """One row per (slice, value): {"slice", "value", "n", "errors", metric: score or None}.

    slices: {slice name: one value per row} (e.g. gender, DAIC session, has image, caption
    length, split). Values are shown as strings in `value_order`; rows with a missing true
    label are not counted, and a value left with no scored row is absent.
    """
    true = np.asarray(y_true, dtype=np.int64).reshape(-1)
    pred = np.asarray(y_pred, dtype=np.int64).reshape(-1)
    out = []
    for name, value, rows in slice_rows(slices, true):
        scores = task_metrics(true[rows], pred[rows], labels)
        errors = int(((true[rows] != pred[rows]) & (true[rows] != IGNORE_INDEX)).sum())
        out.append({"slice": name, "value": value, "n": scores["n"], "errors": errors,
                    **{m: scores[m] for m in metrics}})
    return out


def slice_rows(
    slices: Mapping[str, Sequence[Any]], true: np.ndarray
) -> Iterator[tuple[str, str, np.ndarray]]:
    """(slice name, value, row mask) for every value that has a scored row, values as strings
    in `value_order`; ValueError when a slice's length differs from the rows'."""
    for name, values in slices.items():
        column = np.asarray([str(v) for v in values], dtype=object)
        if column.size != true.size:
            raise ValueError(f"slice '{name}' has {column.size} values for {true.size} rows")
        for value in sorted(set(column[true != IGNORE_INDEX].tolist()), key=value_order):
            yield name, value, column == value


def session_outcomes(
    groups: Sequence[Any], y_true: Any, probs: Any, labels: Sequence[str]
) -> list[dict[str, Any]]:
    """One row per session (DAIC participant), sorted by id: {"session", "utterances" (scored),
    "true", "predicted", "confidence", "correct"}. A session's prediction is the argmax of its
    utterances' mean probabilities, as `metrics["per_session"]` scores it
    (amm_core.metrics.aggregate_by_group); unlabelled utterances are left out first."""
    true, matrix = _arrays(y_true, probs)
    if not (true != IGNORE_INDEX).any():
        return []
    g_true, g_pred, g_probs, names = aggregate_by_group(list(groups), matrix, true)
    scored = np.asarray([str(g) for g in groups], dtype=object)[true != IGNORE_INDEX]
    counts = {name: int((scored == str(name)).sum()) for name in names}
    return [{"session": str(name), "utterances": counts[name], "true": labels[int(t)],
             "predicted": labels[int(p)], "confidence": round(float(row.max()), 6),
             "correct": bool(t == p)}
            for name, t, p, row in zip(names, g_true, g_pred, g_probs, strict=True)]
