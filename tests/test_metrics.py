"""Metrics of one task, bootstrap intervals, per-session aggregation and the report `M`."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

from amm_core.metrics import (
    aggregate_by_group,
    bootstrap_intervals,
    evaluate_predictions,
    task_metrics,
)

BINARY = ["not-depressed", "depressed"]
THREE = ["a", "b", "c"]


def test_binary_hand_computed() -> None:
    y_true = [1, 1, 1, 0, 0, 0, 0, 0]
    y_pred = [1, 0, 0, 1, 0, 0, 0, 0]
    m = task_metrics(y_true, y_pred, BINARY)
    # confusion (rows true): true 0 -> 4 right, 1 wrong; true 1 -> 2 wrong, 1 right
    assert m["confusion"] == [[4, 1], [2, 1]]
    assert m["n"] == 8
    # class 1: tp 1, predicted 2, support 3 -> P 1/2, R 1/3, F1 2*1/(3+2) = 0.4
    # class 0: tp 4, predicted 6, support 5 -> P 2/3, R 4/5, F1 2*4/(5+6) = 8/11
    assert m["per_class"]["depressed"] == {
        "precision": 0.5,
        "recall": 0.333333,
        "f1": 0.4,
        "support": 3,
    }
    assert m["per_class"]["not-depressed"] == {
        "precision": 0.666667,
        "recall": 0.8,
        "f1": 0.727273,
        "support": 5,
    }
    assert m["accuracy"] == m["micro_f1"] == 0.625  # 5 of 8
    assert m["macro_f1"] == 0.563636  # (0.4 + 8/11) / 2
    assert m["precision"] == 0.583333  # (1/2 + 2/3) / 2
    assert m["recall"] == m["balanced_accuracy"] == 0.566667  # (1/3 + 4/5) / 2
    assert m["positive_f1"] == 0.4
    assert m["labels"] == BINARY


def test_three_class_hand_computed() -> None:
    m = task_metrics([0, 0, 0, 1, 1, 2], [0, 0, 1, 1, 2, 2], THREE)
    assert m["confusion"] == [[2, 1, 0], [0, 1, 1], [0, 0, 1]]
    # a: tp 2, pred 2, sup 3 -> P 1, R 2/3, F1 4/5;  b: tp 1, pred 2, sup 2 -> 1/2, 1/2, 1/2
    # c: tp 1, pred 2, sup 1 -> P 1/2, R 1, F1 2/3
    assert [m["per_class"][c]["f1"] for c in THREE] == [0.8, 0.5, 0.666667]
    assert m["micro_f1"] == m["accuracy"] == 0.666667  # 4 of 6
    assert m["macro_f1"] == 0.655556  # (0.8 + 0.5 + 2/3) / 3
    assert m["precision"] == 0.666667  # (1 + 1/2 + 1/2) / 3
    assert m["recall"] == m["balanced_accuracy"] == 0.722222  # (2/3 + 1/2 + 1) / 3
    assert "positive_f1" not in m


def test_sklearn_documented_example() -> None:
    # sklearn's precision_recall_fscore_support / f1_score docs: y_true [0,1,2,0,1,2],
    # y_pred [0,2,1,0,0,1] -> macro P 0.22, R 0.33, F1 0.267; micro 0.33
    m = task_metrics([0, 1, 2, 0, 1, 2], [0, 2, 1, 0, 0, 1], THREE)
    assert m["confusion"] == [[2, 0, 0], [1, 0, 1], [0, 2, 0]]
    assert m["macro_f1"] == 0.266667  # (0.8 + 0 + 0) / 3
    assert m["micro_f1"] == m["accuracy"] == 0.333333
    assert m["precision"] == 0.222222  # (2/3 + 0 + 0) / 3
    assert m["recall"] == 0.333333
    assert m["per_class"]["a"] == {"precision": 0.666667, "recall": 1.0, "f1": 0.8, "support": 2}


def test_missing_labels_are_excluded() -> None:
    y_true = [1, 1, 1, 0, 0, -100, 0, 0, 0, -100]
    y_pred = [1, 0, 0, 1, 0, 1, 0, 0, 0, 7]  # predictions of unlabelled rows are never checked
    m = task_metrics(y_true, y_pred, BINARY)
    assert m["n"] == 8
    assert m["confusion"] == [[4, 1], [2, 1]]
    assert m["macro_f1"] == 0.563636


def test_zero_division_counts_as_zero_and_absent_classes_are_left_out() -> None:
    # class b is never predicted (precision 0/0 -> 0), class c neither occurs nor is predicted
    m = task_metrics([0, 0, 1, 1], [0, 0, 0, 0], THREE)
    assert m["per_class"]["b"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 2}
    assert m["per_class"]["c"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}
    assert m["confusion"] == [[2, 0, 0], [2, 0, 0], [0, 0, 0]]
    # a: P 2/4, R 1, F1 4/6; macro over {a, b} only
    assert m["macro_f1"] == 0.333333
    assert m["precision"] == 0.25
    assert m["recall"] == m["balanced_accuracy"] == 0.5


def test_predicted_only_class_counts_in_macro_but_not_in_balanced_accuracy() -> None:
    m = task_metrics([0, 0], [0, 1], BINARY)
    # class 0: tp 1, pred 1, sup 2 -> F1 2/3; class 1 only predicted -> F1 0
    assert m["macro_f1"] == 0.333333
    assert m["balanced_accuracy"] == 0.5  # recall of class 0 only
    assert m["positive_f1"] == 0.0


def test_balanced_accuracy_on_an_imbalanced_case() -> None:
    y_true = [0] * 90 + [1] * 10
    m = task_metrics(y_true, [0] * 100, BINARY)
    assert m["accuracy"] == 0.9
    assert m["balanced_accuracy"] == 0.5  # (90/90 + 0/10) / 2
    assert m["macro_f1"] == 0.473684  # (180/190 + 0) / 2


def test_no_scored_rows_gives_none_not_a_crash() -> None:
    for y_true, y_pred in (([-100, -100], [0, 1]), ([], [])):
        m = task_metrics(y_true, y_pred, BINARY)
        assert m["n"] == 0
        assert m["micro_f1"] is None and m["macro_f1"] is None and m["positive_f1"] is None
        assert m["confusion"] == [[0, 0], [0, 0]]
        assert m["per_class"]["depressed"]["support"] == 0


def test_probs_stand_in_for_predictions() -> None:
    probs = [[0.9, 0.1], [0.3, 0.7], [0.6, 0.4]]
    m = task_metrics([0, 1, 1], None, BINARY, probs=probs)
    assert m["confusion"] == [[1, 0], [1, 1]]


def test_bad_input_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="class index 3"):
        task_metrics([0, 3], [0, 1], THREE)
    with pytest.raises(ValueError, match="y_pred has 1"):
        task_metrics([0, 1], [0], THREE)


def test_outputs_are_plain_json() -> None:
    m = task_metrics(np.array([0, 1, 1]), np.array([0, 1, 0]), BINARY)
    assert type(m["macro_f1"]) is float and type(m["n"]) is int
    assert type(m["confusion"][0][0]) is int
    json.dumps(m)


def _noisy(n: int, seed: int, k: int = 3, right: float = 0.7) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, k, n)
    y_pred = np.where(rng.random(n) < right, y_true, rng.integers(0, k, n))
    return y_true, y_pred


def test_bootstrap_contains_the_point_estimate_and_is_seeded() -> None:
    y_true, y_pred = _noisy(400, seed=1)
    point = task_metrics(y_true, y_pred, THREE)
    first = bootstrap_intervals(y_true, y_pred, THREE, n=500, seed=3)
    assert set(first) == {"micro_f1", "macro_f1"}
    for name, (low, high) in first.items():
        assert low < point[name] < high
    assert bootstrap_intervals(y_true, y_pred, THREE, n=500, seed=3) == first
    assert bootstrap_intervals(y_true, y_pred, THREE, n=500, seed=4) != first


def test_bootstrap_narrows_with_more_data() -> None:
    y_true, y_pred = _noisy(100, seed=2)
    small = bootstrap_intervals(y_true, y_pred, THREE, n=1000)["micro_f1"]
    # the same rows ten times over: same point estimate, about 1/sqrt(10) the width
    large = bootstrap_intervals(np.tile(y_true, 10), np.tile(y_pred, 10), THREE, n=1000)
    width_small, width_large = small[1] - small[0], large["micro_f1"][1] - large["micro_f1"][0]
    assert width_large < 0.5 * width_small


def test_cluster_bootstrap_resamples_whole_groups() -> None:
    y_true, y_pred = _noisy(40, seed=5)
    # 40 sessions of 5 identical rows: the sum of drawn sessions is 5x the drawn representatives,
    # so every ratio and the interval equal the plain bootstrap of one row per session
    sessions = np.repeat([f"s{i:02d}" for i in range(40)], 5)
    metrics = ("micro_f1", "macro_f1", "balanced_accuracy")
    grouped = bootstrap_intervals(
        np.repeat(y_true, 5), np.repeat(y_pred, 5), THREE, metrics=metrics, groups=sessions
    )
    assert grouped == bootstrap_intervals(y_true, y_pred, THREE, metrics=metrics)
    # ignoring the grouping pretends there are 200 independent rows: far too narrow
    naive = bootstrap_intervals(np.repeat(y_true, 5), np.repeat(y_pred, 5), THREE)["micro_f1"]
    assert (grouped["micro_f1"][1] - grouped["micro_f1"][0]) > 1.5 * (naive[1] - naive[0])


def test_bootstrap_of_a_single_group_is_a_point() -> None:
    y_true, y_pred = [0, 1, 1, 0], [0, 1, 0, 0]
    assert bootstrap_intervals(y_true, y_pred, BINARY, groups=["s"] * 4) == {
        "micro_f1": [0.75, 0.75],
        "macro_f1": [0.733333, 0.733333],
    }


def test_bootstrap_edge_cases() -> None:
    assert bootstrap_intervals([-100], [0], BINARY) == {"micro_f1": None, "macro_f1": None}
    with pytest.raises(ValueError, match="unknown metric"):
        bootstrap_intervals([0], [0], BINARY, metrics=("auc",))
    with pytest.raises(ValueError, match="groups has 1 rows"):
        bootstrap_intervals([0, 1], [0, 1], BINARY, groups=["s"])


def test_bootstrap_is_fast_enough() -> None:
    y_true, y_pred = _noisy(5000, seed=6)
    start = time.perf_counter()
    bootstrap_intervals(y_true, y_pred, THREE, n=1000)
    assert time.perf_counter() - start < 2.0


# Per-session rows: (session, P(not), P(dep), true)
SESSIONS = [
    ("s2", 0.30, 0.70, 1),
    ("s1", 0.80, 0.20, 0),
    ("s1", 0.40, 0.60, 0),
    ("s2", 0.45, 0.55, 1),
    ("s3", 0.90, 0.10, 1),
    ("s3", 0.40, 0.60, 1),
    ("s3", 0.45, 0.55, 1),
    ("s4", 0.10, 0.90, -100),  # no labelled row: s4 is absent
    ("s5", 0.20, 0.80, 0),
    ("s5", 0.30, 0.70, 1),
    ("s5", 0.40, 0.60, 1),
]


def _session_columns() -> tuple[list[str], np.ndarray, np.ndarray]:
    groups = [row[0] for row in SESSIONS]
    probs = np.array([[row[1], row[2]] for row in SESSIONS])
    return groups, probs, np.array([row[3] for row in SESSIONS])


def test_aggregate_by_group_averages_probabilities() -> None:
    groups, probs, y_true = _session_columns()
    g_true, g_pred, g_probs, names = aggregate_by_group(groups, probs, y_true)
    assert names == ["s1", "s2", "s3", "s5"]
    # s1 mean (0.6, 0.4) -> 0; s2 (0.375, 0.625) -> 1; s5 (0.3, 0.7) -> 1
    # s3 mean (0.583, 0.417) -> 0 although two of its three rows lean to 1: averaging, not voting
    np.testing.assert_allclose(g_probs[:, 1], [0.4, 0.625, 1.25 / 3, 0.7])
    assert g_pred.tolist() == [0, 1, 0, 1]
    assert g_true.tolist() == [0, 1, 1, 1]  # s5 rows say 0, 1, 1: the majority, 1


def test_evaluate_predictions_builds_the_report() -> None:
    groups, probs, y_true = _session_columns()
    per_task = {
        "depression": {"y_true": y_true, "y_pred": None, "probs": probs, "labels": BINARY},
        "emotion": {
            "y_true": [-100] * len(SESSIONS),
            "y_pred": [0] * len(SESSIONS),
            "probs": None,
            "labels": ["non-sad", "sad"],
        },
    }
    report = evaluate_predictions(per_task, groups=groups, bootstrap=200, seed=1)
    assert list(report) == ["depression"]  # a task with no scored row is absent
    dep = report["depression"]
    # row argmax vs truth, s4 left out: true 0 = s1 (0, 1) + s5 (1); true 1 = only s3 row 1 -> 0
    assert dep["n"] == 10
    assert dep["confusion"] == [[1, 2], [1, 6]]
    assert set(dep["intervals"]) == {
        "micro_f1",
        "macro_f1",
        "precision",
        "recall",
        "accuracy",
        "balanced_accuracy",
        "positive_f1",
    }
    assert dep["bootstrap"] == {"resamples": 200, "seed": 1, "unit": "group"}
    session = dep["per_session"]
    assert session["n"] == 4
    assert session["confusion"] == [[1, 0], [1, 2]]  # s1 right; s2, s5 right; s3 missed
    assert session["accuracy"] == 0.75
    assert session["groups_with_mixed_labels"] == 1  # s5
    # The intervals are the cluster bootstrap over sessions (rows of a session move together),
    # and the per-session intervals resample the sessions' own aggregates.
    kept = y_true != -100
    row_pred = probs.argmax(1)
    metrics = tuple(dep["intervals"])
    clustered = bootstrap_intervals(y_true[kept], row_pred[kept], BINARY, metrics=metrics, n=200,
                                    seed=1, groups=np.array(groups)[kept])
    rows_only = bootstrap_intervals(y_true[kept], row_pred[kept], BINARY, metrics=metrics, n=200,
                                    seed=1)
    assert dep["intervals"] == clustered != rows_only
    g_true, g_pred, _, _ = aggregate_by_group(groups, probs, y_true)
    assert session["intervals"] == bootstrap_intervals(g_true, g_pred, BINARY, metrics=metrics,
                                                       n=200, seed=1)
    json.dumps(report)


def test_evaluate_predictions_without_groups_or_bootstrap() -> None:
    per_task = {
        "depression": {"y_true": [0, 1, 1], "y_pred": [0, 1, 0], "probs": None, "labels": BINARY}
    }
    report = evaluate_predictions(per_task, bootstrap=0)
    assert "intervals" not in report["depression"] and "per_session" not in report["depression"]
    assert report["depression"]["micro_f1"] == 0.666667
    with_rows = evaluate_predictions(per_task, bootstrap=100)["depression"]
    assert with_rows["bootstrap"]["unit"] == "row"


def test_per_session_without_probs_is_a_vote() -> None:
    per_task = {
        "depression": {
            "y_true": [1, 1, 1, 0, 0],
            "y_pred": [1, 1, 0, 1, 0],
            "probs": None,
            "labels": BINARY,
        }
    }
    report = evaluate_predictions(per_task, groups=["a", "a", "a", "b", "b"], bootstrap=0)
    # a votes 1,1,0 -> 1 (right); b votes 1,0 -> tie -> class 0 (right)
    assert report["depression"]["per_session"]["confusion"] == [[1, 0], [0, 1]]


def test_agrees_with_sklearn_on_random_cases() -> None:
    skm = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(0)
    for k in (2, 3, 6):
        for _ in range(20):
            n = int(rng.integers(1, 60))
            y_true, y_pred = rng.integers(0, k, n), rng.integers(0, k, n)
            present = np.union1d(y_true, y_pred)
            m = task_metrics(y_true, y_pred, [str(i) for i in range(k)])
            f1 = skm.f1_score(y_true, y_pred, average="macro", labels=present, zero_division=0)
            assert m["macro_f1"] == pytest.approx(f1, abs=1e-6)
            assert m["confusion"] == skm.confusion_matrix(y_true, y_pred, labels=range(k)).tolist()
