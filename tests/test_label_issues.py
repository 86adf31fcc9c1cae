"""Confident-learning label issues on constructed probabilities whose answer is worked by hand."""

from __future__ import annotations

import numpy as np
import pytest

from amm_core.label_issues import class_thresholds, issues_from_predictions, rank_label_issues

LABELS = ["a", "b", "c"]
GIVEN = [0, 0, 0, 1, 1, 1, 2, 2]
PROBS = np.array([
    [0.90, 0.05, 0.05],  # a, confident: fine
    [0.80, 0.10, 0.10],  # a: fine
    [0.10, 0.85, 0.05],  # a, but b is above b's threshold: issue, margin 0.75
    [0.10, 0.80, 0.10],  # b: fine
    [0.05, 0.90, 0.05],  # b: fine
    [0.30, 0.40, 0.30],  # b, unsure, yet no other class reaches its threshold: not an issue
    [0.05, 0.05, 0.90],  # c: fine
    [0.70, 0.10, 0.20],  # c, but a (0.7) >= t_a (0.6): issue, margin 0.5
])


def test_thresholds_are_mean_self_confidence_per_class():
    # t_a = (0.9 + 0.8 + 0.1) / 3, t_b = (0.8 + 0.9 + 0.4) / 3, t_c = (0.9 + 0.2) / 2
    assert class_thresholds(PROBS, np.array(GIVEN), 3) == pytest.approx([0.6, 0.7, 0.55])


def test_ranks_the_confident_contradictions_by_margin():
    issues = rank_label_issues(PROBS, GIVEN, LABELS, sample_ids=[10 + i for i in range(8)])
    assert [(i.sample_id, i.given, i.suggested) for i in issues] == [(12, "a", "b"),
                                                                      (17, "c", "a")]
    assert issues[0].margin == pytest.approx(0.75)
    assert issues[0].suggested_probability == pytest.approx(0.85)
    assert issues[1].given_probability == pytest.approx(0.2)
    assert [i.sample_id for i in rank_label_issues(PROBS, GIVEN, LABELS, limit=1)] == [2]


def test_unlabelled_rows_are_skipped_and_do_not_move_thresholds():
    probs = np.vstack([PROBS, [[0.0, 0.0, 1.0]]])
    issues = rank_label_issues(probs, [*GIVEN, -1], LABELS)
    assert [i.sample_id for i in issues] == [2, 7]


def test_a_class_nobody_is_labelled_with_is_never_suggested():
    probs = np.array([[0.9, 0.1, 0.0], [0.2, 0.1, 0.7], [0.8, 0.2, 0.0]])
    # only class a is given; c is the most probable for row 1, but c has no threshold
    assert rank_label_issues(probs, [0, 0, 0], LABELS) == []


def test_prediction_records_by_label_name():
    rows = [{"sample_id": f"s{i}", "given": LABELS[g],
             "probabilities": dict(zip(LABELS, p, strict=True))}
            for i, (g, p) in enumerate(zip(GIVEN, PROBS, strict=True))]
    rows.append({"sample_id": "x", "given": None, "probabilities": {"a": 1.0}})
    assert [i.sample_id for i in issues_from_predictions(rows, LABELS)] == ["s2", "s7"]


def test_shapes_that_do_not_line_up_are_refused():
    with pytest.raises(ValueError, match="do not line up"):
        rank_label_issues(PROBS, GIVEN[:-1], LABELS)
    with pytest.raises(ValueError, match="label names"):
        rank_label_issues(PROBS, GIVEN, ["a", "b"])
