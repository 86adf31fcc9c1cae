"""Label issues, confident-learning style: samples whose given label the model confidently
contradicts, ranked most suspicious first.

Per class j the threshold t_j is the mean probability of j over the samples labelled j (the
class's mean self-confidence). A sample labelled g is an issue when p[g] < t_g and some other
class k has p[k] >= t_k; the suggested label is the most probable such k. Issues are ranked by
the normalized margin p[k] - p[g] (largest first), ties by the lower self-confidence p[g].

Pure numpy: the callers (the Label issues page, `amm report`) bring the probabilities, and say
whether they are out of fold (predicted on a split the run did not train on) or in-sample.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

HELD_OUT_SPLITS = ("dev", "test")  # a run never trains on these: its predictions are out of fold


@dataclass(frozen=True)
class LabelIssue:
    """One suspicious sample. `margin` = p(suggested) - p(given), in (0, 1]."""

    sample_id: Any
    given: str
    suggested: str
    given_probability: float
    suggested_probability: float
    margin: float


def class_thresholds(probs: np.ndarray, given: np.ndarray, n_classes: int) -> np.ndarray:
    """(C,) mean self-confidence per class; NaN for a class no sample is labelled with (such a
    class can then never be suggested)."""
    thresholds = np.full(n_classes, np.nan)
    for label in range(n_classes):
        rows = given == label
        if rows.any():
            thresholds[label] = float(probs[rows, label].mean())
    return thresholds


def rank_label_issues(
    probs: np.ndarray | Sequence[Sequence[float]],
    given: Sequence[int] | np.ndarray,
    labels: Sequence[str],
    sample_ids: Sequence[Any] | None = None,
    *,
    limit: int | None = None,
) -> list[LabelIssue]:
    """Rank the samples whose given label the model confidently contradicts.

    probs: (N, C) predicted class probabilities, rows in the order of `given`.
    given: (N,) index into `labels` of each sample's given label; a negative index (unlabelled)
        is skipped and takes no part in the thresholds.
    labels: the C class names, in the column order of `probs`.
    sample_ids: (N,) ids echoed in the result (default: the row positions 0..N-1).
    limit: keep only the first `limit` issues.
    Returns `LabelIssue`s, most suspicious first (largest margin p[suggested] - p[given]).
    Raises ValueError when the shapes disagree.
    """
    matrix = np.asarray(probs, dtype=float)
    truth = np.asarray(given, dtype=int)
    ids = list(range(len(truth))) if sample_ids is None else list(sample_ids)
    if matrix.ndim != 2 or matrix.shape[0] != len(truth) or len(ids) != len(truth):
        raise ValueError(f"probabilities {matrix.shape}, {len(truth)} given labels and "
                         f"{len(ids)} ids do not line up")
    if matrix.shape[1] != len(labels):
        raise ValueError(f"{matrix.shape[1]} probability columns but {len(labels)} label names")
    if (truth >= len(labels)).any():
        raise ValueError("a given label index is outside the label list")
    labelled = np.flatnonzero(truth >= 0)
    rows, classes = matrix[labelled], truth[labelled]
    thresholds = class_thresholds(rows, classes, len(labels))
    at = np.arange(len(rows))
    own = rows[at, classes]  # self-confidence
    with np.errstate(invalid="ignore"):  # NaN thresholds (unused classes) compare False
        above = rows >= thresholds[None, :]
    above[at, classes] = False
    suggested = np.where(above, rows, -np.inf).argmax(axis=1)
    flagged = np.flatnonzero((own < thresholds[classes]) & above.any(axis=1))
    margins = rows[flagged, suggested[flagged]] - own[flagged]
    order = flagged[np.lexsort((own[flagged], -margins))]  # largest margin, then least sure
    if limit is not None:
        order = order[:limit]
    return [LabelIssue(sample_id=ids[labelled[k]], given=labels[classes[k]],
                       suggested=labels[suggested[k]],
                       given_probability=round(float(own[k]), 6),
                       suggested_probability=round(float(rows[k, suggested[k]]), 6),
                       margin=round(float(rows[k, suggested[k]] - own[k]), 6))
            for k in order]


def issues_from_predictions(
    rows: Sequence[Mapping[str, Any]], labels: Sequence[str], *, limit: int | None = None
) -> list[LabelIssue]:
    """The same ranking from prediction records `{"sample_id", "given": label name or None,
    "probabilities": {label name: p}}` (the predictions table's shape); rows whose given label
    is missing or not in `labels` are skipped."""
    index = {name: i for i, name in enumerate(labels)}
    kept = [r for r in rows if r.get("given") in index]
    if not kept:
        return []
    probs = np.array([[float(r["probabilities"].get(name, 0.0)) for name in labels]
                      for r in kept])
    return rank_label_issues(probs, [index[r["given"]] for r in kept], labels,
                             [r["sample_id"] for r in kept], limit=limit)
