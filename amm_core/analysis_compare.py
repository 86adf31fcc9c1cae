"""Two runs on the same rows: flips (A right and B wrong, and the reverse), McNemar's test, and
metric deltas A - B with paired bootstrap intervals, overall and per dataset slice. Pure numpy.

McNemar's test on the discordant pairs b = #(A right, B wrong) and c = #(A wrong, B right):
- b + c < EXACT_BELOW: exact two-sided binomial test, p = min(1, 2 * P(X <= min(b, c))) with
  X ~ Binomial(b + c, 1/2) ("exact binomial"); b + c = 0 gives p = 1.
- otherwise: chi-square with 1 degree of freedom and Edwards' continuity correction,
  statistic = (max(|b - c| - 1, 0))^2 / (b + c) ("chi-square with continuity correction").

The test counts rows: on DAIC the rows are utterances, which are not independent within a
session, so its p-value is utterance-level (too small when a session's utterances err together);
`session_mcnemar` runs the same test on per-session predictions (mean utterance probabilities).
p-values are kept as computed (a tiny one is not rounded to 0); `p_text` shows one.

Paired bootstrap: each resample draws rows (or, with groups, whole groups such as DAIC sessions)
with replacement and scores BOTH runs on the same draw, so the interval of A - B reflects the
pairing. Scores come from `amm_core.metrics_bootstrap.confusion_scores` (one definition).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from amm_core.analysis import slice_rows
from amm_core.metrics import IGNORE_INDEX, aggregate_by_group, task_metrics
from amm_core.metrics_bootstrap import (
    _cluster_confusions,
    _resampled_confusions,
    confusion_scores,
    scored_rows,
)

EXACT_BELOW = 25  # discordant pairs below which the exact binomial test is used
EXACT_METHOD = "exact binomial"
CHI2_METHOD = "chi-square with continuity correction"
DELTA_METRICS = ("accuracy", "macro_f1")
P_FLOOR = 1e-4  # p-values below it are shown as "< 0.0001"


def _correct(y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
    """(correct per row, scored mask): a row with true label -100 is never right or wrong."""
    true = np.asarray(y_true, dtype=np.int64).reshape(-1)
    pred = np.asarray(y_pred, dtype=np.int64).reshape(-1)
    if true.shape != pred.shape:
        raise ValueError(f"y_true has {true.size} rows but a prediction has {pred.size}")
    scored = true != IGNORE_INDEX
    return (true == pred) & scored, scored


def flips(y_true: Any, a_pred: Any, b_pred: Any) -> dict[str, list[int]]:
    """Row positions where exactly one run is right: {"a_right_b_wrong", "b_right_a_wrong"}."""
    a_ok, scored = _correct(y_true, a_pred)
    b_ok, _ = _correct(y_true, b_pred)
    return {"a_right_b_wrong": np.flatnonzero(scored & a_ok & ~b_ok).tolist(),
            "b_right_a_wrong": np.flatnonzero(scored & ~a_ok & b_ok).tolist()}


def mcnemar_from_counts(b: int, c: int) -> dict[str, Any]:
    """McNemar's test on the discordant counts (see the module docstring for the method)."""
    if b < 0 or c < 0:
        raise ValueError("discordant counts cannot be negative")
    n = b + c
    if n < EXACT_BELOW:
        tail = sum(math.comb(n, k) for k in range(min(b, c) + 1)) / 2**n
        p_value, statistic, method = min(1.0, 2 * tail), None, EXACT_METHOD
    else:
        statistic = max(abs(b - c) - 1, 0) ** 2 / n
        p_value, method = math.erfc(math.sqrt(statistic / 2)), CHI2_METHOD  # chi2(1) tail
    return {"a_right_b_wrong": int(b), "b_right_a_wrong": int(c), "discordant": int(n),
            "method": method,
            "statistic": None if statistic is None else round(float(statistic), 6),
            "p_value": float(p_value)}


def p_text(p_value: float) -> str:
    """A p-value for display: four decimals, or "< 0.0001" below that (never "0.0000")."""
    return f"< {P_FLOOR:.4f}" if p_value < P_FLOOR else f"{p_value:.4f}"


def p_phrase(p_value: float) -> str:
    """"p = 0.0123", or "p < 0.0001" below the display floor."""
    text = p_text(p_value)
    return f"p {text}" if text.startswith("<") else f"p = {text}"


def mcnemar(y_true: Any, a_pred: Any, b_pred: Any) -> dict[str, Any]:
    """McNemar's test of runs A and B on the same rows (rows with true label -100 skipped)."""
    found = flips(y_true, a_pred, b_pred)
    result = mcnemar_from_counts(len(found["a_right_b_wrong"]), len(found["b_right_a_wrong"]))
    _, scored = _correct(y_true, a_pred)
    result["n"] = int(scored.sum())
    return result


def session_mcnemar(y_true: Any, a_probs: Any, b_probs: Any, groups: Sequence[Any]
                    ) -> dict[str, Any]:
    """McNemar's test on per-session predictions (each run's utterance probabilities averaged
    per session, amm_core.metrics.aggregate_by_group): "n" counts sessions."""
    g_true, a_pred, _, _ = aggregate_by_group(list(groups), a_probs, y_true)
    _, b_pred, _, _ = aggregate_by_group(list(groups), b_probs, y_true)
    return mcnemar(g_true, a_pred, b_pred)


def paired_deltas(
    y_true: Any,
    a_pred: Any,
    b_pred: Any,
    labels: Sequence[str],
    *,
    metrics: Sequence[str] = DELTA_METRICS,
    n: int = 1000,
    seed: int = 0,
    groups: Sequence[Any] | np.ndarray | None = None,
) -> dict[str, dict[str, Any]]:
    """{metric: {"a", "b", "delta" (a - b), "interval" [low, high] (95 % paired bootstrap)}}.

    With no scored row every value is None. Deterministic for a seed.
    """
    k = len(labels)
    rows_a = scored_rows(y_true, a_pred, k, groups=groups)
    rows_b = scored_rows(y_true, b_pred, k, groups=groups)
    if rows_a.true.size == 0:
        return {m: {"a": None, "b": None, "delta": None, "interval": None} for m in metrics}
    a_scores = task_metrics(rows_a.true, rows_a.pred, labels)
    b_scores = task_metrics(rows_b.true, rows_b.pred, labels)
    # both runs' per-cluster confusions side by side: one resample weights both alike
    paired = np.concatenate([_cluster_confusions(rows_a, k), _cluster_confusions(rows_b, k)],
                            axis=1)  # (G, 2*K*K)
    draws: dict[str, list[np.ndarray]] = {m: [] for m in metrics}
    for flat in _resampled_confusions(paired, n, np.random.default_rng(seed)):
        a = confusion_scores(flat[:, : k * k].reshape(-1, k, k))
        b = confusion_scores(flat[:, k * k:].reshape(-1, k, k))
        for m in metrics:
            draws[m].append(a[m] - b[m])
    out = {}
    for m in metrics:
        low, high = np.percentile(np.concatenate(draws[m]), [2.5, 97.5])
        out[m] = {"a": a_scores[m], "b": b_scores[m],
                  "delta": round(a_scores[m] - b_scores[m], 6),
                  "interval": [round(float(low), 6), round(float(high), 6)]}
    return out


def slice_deltas(
    y_true: Any,
    a_pred: Any,
    b_pred: Any,
    labels: Sequence[str],
    slices: Mapping[str, Sequence[Any]],
    *,
    metrics: Sequence[str] = DELTA_METRICS,
    n: int = 1000,
    seed: int = 0,
    groups: Sequence[Any] | np.ndarray | None = None,
) -> list[dict[str, Any]]:
    """paired_deltas per (slice, value): rows {"slice", "value", "n", metric: {...}}.

    Values are compared as strings and sorted (amm_core.analysis.value_order); a value with no
    scored row is absent. groups (DAIC sessions; default: the `groups` that an
    amm_core.analysis.Slices carries): each slice resamples its own rows' groups, so its
    interval is clustered as the headline's is; a slice inside one group (one DAIC session)
    gets no interval (None), since one cluster cannot be resampled.
    """
    true = np.asarray(y_true, dtype=np.int64).reshape(-1)
    a, b = np.asarray(a_pred).reshape(-1), np.asarray(b_pred).reshape(-1)
    if groups is None:
        groups = getattr(slices, "groups", None)
    clusters = None if groups is None else np.asarray([str(g) for g in groups], dtype=object)
    out = []
    for name, value, rows in slice_rows(slices, true):
        deltas = paired_deltas(true[rows], a[rows], b[rows], labels, metrics=metrics, n=n,
                               seed=seed, groups=None if clusters is None else clusters[rows])
        if clusters is not None and len(set(clusters[rows & (true != IGNORE_INDEX)])) < 2:
            for metric in metrics:
                deltas[metric]["interval"] = None
        out.append({"slice": name, "value": value,
                    "n": int((true[rows] != IGNORE_INDEX).sum()), **deltas})
    return out
