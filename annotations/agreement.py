"""Inter-annotator agreement for nominal labels: percent agreement, Cohen, Fleiss, Krippendorff.

Pure numpy. Every statistic returns None (never NaN) when it is undefined for the data given.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import combinations

import numpy as np

Rating = tuple[str, str, str]  # (item_id, annotator, label)
MISSING = -1


def ratings_matrix(
    ratings: Iterable[Rating], labels: Sequence[str] | None = None
) -> tuple[list[str], list[str], list[str], np.ndarray]:
    """Return (items, annotators, labels, matrix); matrix is (n_items, n_annotators) label indices.

    Items and annotators are sorted; labels keep the order given (default: sorted). Missing
    ratings are -1. A label outside `labels` or two ratings of one item by one annotator raise
    ValueError.
    """
    rows = list(ratings)
    label_list = list(labels) if labels is not None else sorted({r[2] for r in rows})
    items = sorted({r[0] for r in rows})
    annotators = sorted({r[1] for r in rows})
    item_pos = {item: i for i, item in enumerate(items)}
    ann_pos = {ann: j for j, ann in enumerate(annotators)}
    label_pos = {label: k for k, label in enumerate(label_list)}
    matrix = np.full((len(items), len(annotators)), MISSING, dtype=int)
    for item, annotator, label in rows:
        if label not in label_pos:
            raise ValueError(f"item {item!r}, annotator {annotator!r}: unknown label {label!r}")
        i, j = item_pos[item], ann_pos[annotator]
        if matrix[i, j] != MISSING:
            raise ValueError(f"item {item!r}: annotator {annotator!r} rated it more than once")
        matrix[i, j] = label_pos[label]
    return items, annotators, label_list, matrix


def label_counts(matrix: np.ndarray, n_labels: int | None = None) -> np.ndarray:
    """(n_items, n_labels) count of ratings per item and label; missing ratings are ignored."""
    matrix = np.asarray(matrix, dtype=int)
    if n_labels is None:
        n_labels = int(matrix.max()) + 1 if matrix.size else 0
    counts = np.zeros((matrix.shape[0], n_labels), dtype=float)
    for k in range(n_labels):
        counts[:, k] = (matrix == k).sum(axis=1)
    return counts


def percent_agreement(matrix: np.ndarray) -> float | None:
    """Mean over items with >= 2 ratings of the share of rater pairs that gave the same label.

    An item rated by m people has m(m-1)/2 pairs; with n_k ratings of label k, the agreeing
    share is sum_k n_k(n_k-1) / (m(m-1)). None when no item has two ratings.
    """
    return percent_agreement_from_counts(label_counts(matrix))


def percent_agreement_from_counts(counts: np.ndarray) -> float | None:
    """percent_agreement() on an (items, labels) count table."""
    m = counts.sum(axis=1)
    keep = m >= 2
    if not keep.any():
        return None
    c, m = counts[keep], m[keep]
    return float(np.mean((c * (c - 1)).sum(axis=1) / (m * (m - 1))))


def cohen_kappa(a: Sequence[int] | np.ndarray, b: Sequence[int] | np.ndarray) -> float | None:
    """Cohen's kappa of two raters' label indices over the same items (-1 pairs are dropped).

    None when no item is rated by both or when chance agreement is 1 (one label everywhere).
    """
    a_arr, b_arr = np.asarray(a, dtype=int), np.asarray(b, dtype=int)
    both = (a_arr != MISSING) & (b_arr != MISSING)
    a_arr, b_arr = a_arr[both], b_arr[both]
    if a_arr.size == 0:
        return None
    n_labels = int(max(a_arr.max(), b_arr.max())) + 1
    p_a = np.bincount(a_arr, minlength=n_labels) / a_arr.size
    p_b = np.bincount(b_arr, minlength=n_labels) / b_arr.size
    p_o = float(np.mean(a_arr == b_arr))
    p_e = float(np.dot(p_a, p_b))
    if np.isclose(p_e, 1.0):
        return None
    return (p_o - p_e) / (1.0 - p_e)


def pair_key(a: str, b: str) -> str:
    """'<a>|<b>' with the two names sorted, the key of every pairwise result."""
    first, second = sorted((a, b))
    return f"{first}|{second}"


def pairwise_cohen(matrix: np.ndarray, annotators: Sequence[str]) -> dict[str, float | None]:
    """Cohen's kappa for every pair of annotators, keyed '<a>|<b>' (names sorted)."""
    matrix = np.asarray(matrix, dtype=int)
    return {
        pair_key(annotators[i], annotators[j]): cohen_kappa(matrix[:, i], matrix[:, j])
        for i, j in combinations(range(len(annotators)), 2)
    }


def fleiss_kappa(matrix: np.ndarray) -> float | None:
    """Fleiss' kappa over the items rated by the modal number of raters (see fleiss_from_counts)."""
    return fleiss_from_counts(label_counts(matrix))


def fleiss_from_counts(counts: np.ndarray) -> float | None:
    """Fleiss' kappa on an (items, labels) count table.

    Fleiss needs the same number of raters per item, so only items whose rater count equals the
    most common count among items with >= 2 ratings are used (a tie goes to the larger count).
    None when no item has two ratings or chance agreement is 1.
    """
    m = counts.sum(axis=1).astype(int)
    rated = m[m >= 2]
    if rated.size == 0:
        return None
    values, freq = np.unique(rated, return_counts=True)
    n_raters = int(values[freq == freq.max()].max())
    c = counts[m == n_raters]
    p_j = c.sum(axis=0) / c.sum()
    p_bar = float(np.mean((c * (c - 1)).sum(axis=1) / (n_raters * (n_raters - 1))))
    p_e = float(np.sum(p_j**2))
    if np.isclose(p_e, 1.0):
        return None
    return (p_bar - p_e) / (1.0 - p_e)


def krippendorff_alpha(matrix: np.ndarray) -> float | None:
    """Krippendorff's alpha for nominal data with any missing pattern (coincidence matrix)."""
    return alpha_from_counts(label_counts(matrix))


def alpha_from_counts(counts: np.ndarray) -> float | None:
    """Nominal Krippendorff's alpha on an (items, labels) count table.

    Units with m_u >= 2 values add n_uc n_uk / (m_u - 1) to coincidence cell (c, k) (n_uc(n_uc-1)
    on the diagonal); alpha = 1 - (n - 1) * (n - sum o_cc) / (n^2 - sum n_c^2). None when fewer
    than two pairable values exist or all pairable values are one label.
    """
    m = counts.sum(axis=1)
    c, m = counts[m >= 2], m[m >= 2]
    if c.size == 0:
        return None
    diagonal = float(((c * (c - 1)).sum(axis=1) / (m - 1)).sum())
    n_c = c.sum(axis=0)
    n = float(n_c.sum())
    expected = n * n - float(np.sum(n_c**2))
    if np.isclose(expected, 0.0):
        return None
    return 1.0 - (n - 1.0) * (n - diagonal) / expected


def label_rates(
    matrix: np.ndarray, annotators: Sequence[str], labels: Sequence[str]
) -> dict[str, dict[str, float]]:
    """Share of each annotator's ratings that went to each label (0.0 for one with no ratings)."""
    matrix = np.asarray(matrix, dtype=int)
    rates: dict[str, dict[str, float]] = {}
    for j, annotator in enumerate(annotators):
        given = matrix[:, j][matrix[:, j] != MISSING]
        counts = np.bincount(given, minlength=len(labels))
        total = max(int(given.size), 1)
        rates[annotator] = {label: float(counts[k] / total) for k, label in enumerate(labels)}
    return rates


def pairwise_confusion(
    matrix: np.ndarray, annotators: Sequence[str], labels: Sequence[str]
) -> dict[str, list[list[int]]]:
    """Per pair '<a>|<b>' (names sorted): counts[i][j] of items a labelled i and b labelled j."""
    matrix = np.asarray(matrix, dtype=int)
    order = sorted(range(len(annotators)), key=lambda j: annotators[j])
    result: dict[str, list[list[int]]] = {}
    for x, y in combinations(order, 2):
        both = (matrix[:, x] != MISSING) & (matrix[:, y] != MISSING)
        table = np.zeros((len(labels), len(labels)), dtype=int)
        np.add.at(table, (matrix[both, x], matrix[both, y]), 1)
        result[pair_key(annotators[x], annotators[y])] = table.tolist()
    return result


_STATISTICS = {
    "percent_agreement": percent_agreement_from_counts,
    "fleiss_kappa": fleiss_from_counts,
    "krippendorff_alpha": alpha_from_counts,
}


def bootstrap_intervals(
    matrix: np.ndarray, annotators: Sequence[str], n: int = 1000, seed: int = 0
) -> dict[str, list[float] | None]:
    """95 % percentile intervals of the item-level statistics, resampling items with replacement.

    Resamples where a statistic is undefined are skipped; an interval is None when every
    resample (or the data itself) leaves it undefined. `annotators` is accepted for symmetry with
    the other functions: resampling is over items, so the rater set never changes.
    """
    del annotators
    counts = label_counts(matrix)
    n_items = counts.shape[0]
    if n_items == 0 or n <= 0:
        return dict.fromkeys(_STATISTICS)
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, n_items, size=(n, n_items))
    intervals: dict[str, list[float] | None] = {}
    for name, statistic in _STATISTICS.items():
        values = [v for v in (statistic(counts[row]) for row in draws) if v is not None]
        if not values:
            intervals[name] = None
            continue
        lo, hi = np.percentile(values, [2.5, 97.5])
        intervals[name] = [float(lo), float(hi)]
    return intervals


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(float(value), 6)


def agreement_report(
    ratings: Iterable[Rating],
    labels: Sequence[str] | None = None,
    bootstrap: int = 1000,
    seed: int = 0,
) -> dict:
    """Every agreement statistic for a list of (item_id, annotator, label) ratings, JSON-ready.

    `items` counts items with at least one rating; floats are rounded to 6 decimals; a statistic
    that is undefined is None. `bootstrap=0` skips the intervals (all None).
    """
    items, annotators, label_list, matrix = ratings_matrix(ratings, labels)
    intervals = bootstrap_intervals(matrix, annotators, n=bootstrap, seed=seed)
    return {
        "items": len(items),
        "annotators": annotators,
        "percent_agreement": _rounded(percent_agreement(matrix)),
        "cohen_kappa": {k: _rounded(v) for k, v in pairwise_cohen(matrix, annotators).items()},
        "fleiss_kappa": _rounded(fleiss_kappa(matrix)),
        "krippendorff_alpha": _rounded(krippendorff_alpha(matrix)),
        "intervals": {
            k: None if v is None else [_rounded(x) for x in v] for k, v in intervals.items()
        },
        "label_rates": {
            a: {lab: _rounded(s) for lab, s in rates.items()}
            for a, rates in label_rates(matrix, annotators, label_list).items()
        },
        "pairwise_confusion": pairwise_confusion(matrix, annotators, label_list),
    }
