"""Error-analysis numbers of one run against hand-computed cases: confusion cells, reliability
bins and expected calibration error, per-slice metrics, caption-length buckets."""

from __future__ import annotations

import numpy as np
import pytest

from amm_core.analysis import caption_length_bucket, cell_rows, reliability, slice_metrics

# Five scored rows over three classes, plus one unlabelled row (-100) that must not count.
PROBS = [
    [0.7, 0.2, 0.1],  # true 0, conf .7, right
    [0.3, 0.6, 0.1],  # true 0, conf .6, wrong
    [0.9, 0.05, 0.05],  # true 0, conf .9, right
    [0.4, 0.3, 0.3],  # true 1, conf .4, wrong
    [0.5, 0.1, 0.4],  # true 0, conf .5 (on a bin edge: the lower bin), right
    [0.1, 0.1, 0.8],  # unlabelled
]
TRUE = [0, 0, 0, 1, 0, -100]


def test_reliability_bins_and_ece_by_hand():
    result = reliability(TRUE, PROBS, n_bins=2)
    low, high = result["bins"]
    # bin (0, .5]: rows .4 (wrong) and .5 (right): confidence .45, accuracy .5
    assert (low["count"], low["confidence"], low["accuracy"]) == (2, 0.45, 0.5)
    # bin (.5, 1]: rows .7, .6, .9 with two right: confidence 2.2/3, accuracy 2/3
    assert high["count"] == 3
    assert high["confidence"] == pytest.approx(2.2 / 3, abs=1e-6)
    assert high["accuracy"] == pytest.approx(2 / 3, abs=1e-6)
    # ECE = 2/5 * |.5 - .45| + 3/5 * |2/3 - 2.2/3| = .02 + .04
    assert result["ece"] == pytest.approx(0.06, abs=1e-6)
    assert result["n"] == 5


def test_a_perfectly_calibrated_model_has_zero_ece_and_empty_bins_are_marked():
    # four rows at confidence .75, three of them right
    probs = [[0.75, 0.25]] * 4
    result = reliability([0, 0, 0, 1], probs, n_bins=4)
    assert result["ece"] == 0.0
    assert [b["count"] for b in result["bins"]] == [0, 0, 4, 0]
    assert result["bins"][0]["accuracy"] is None and result["bins"][0]["confidence"] is None


def test_reliability_without_labels_has_no_ece():
    result = reliability([-100, -100], [[0.6, 0.4], [0.2, 0.8]])
    assert result["n"] == 0 and result["ece"] is None
    with pytest.raises(ValueError, match="probs must be"):
        reliability([0, 1, 0], [[0.6, 0.4], [0.2, 0.8]])


def test_cell_rows_lists_the_rows_of_one_confusion_cell():
    pred = np.array(PROBS).argmax(axis=1)  # 0, 1, 0, 0, 0, 2
    assert cell_rows(TRUE, pred, 0, 1).tolist() == [1]
    assert cell_rows(TRUE, pred, 0, 0).tolist() == [0, 2, 4]
    assert cell_rows(TRUE, pred, 1, 0).tolist() == [3]
    assert cell_rows(TRUE, pred, 2, 2).tolist() == []


def test_slice_metrics_by_hand():
    true = [0, 0, 1, 1, 1, -100]
    pred = [0, 1, 1, 1, 0, 0]
    gender = ["female", "female", "male", "male", "male", "female"]
    rows = slice_metrics(true, pred, ["no", "yes"], {"gender": gender})
    by_value = {r["value"]: r for r in rows}
    # female: rows 0 (right) and 1 (wrong); the unlabelled row does not count
    assert by_value["female"]["n"] == 2 and by_value["female"]["errors"] == 1
    assert by_value["female"]["accuracy"] == 0.5
    # male: rows 2, 3 right and 4 wrong; all true class 1 -> balanced accuracy = recall 2/3
    assert by_value["male"]["n"] == 3 and by_value["male"]["errors"] == 1
    assert by_value["male"]["accuracy"] == pytest.approx(2 / 3, abs=1e-6)
    assert by_value["male"]["balanced_accuracy"] == pytest.approx(2 / 3, abs=1e-6)


def test_slice_with_only_unlabelled_rows_is_absent_and_lengths_must_match():
    rows = slice_metrics([0, -100], [0, 1], ["a", "b"], {"split": ["test", "dev"]})
    assert [r["value"] for r in rows] == ["test"]
    with pytest.raises(ValueError, match="slice 'split' has 1 values"):
        slice_metrics([0, 1], [0, 1], ["a", "b"], {"split": ["test"]})


@pytest.mark.parametrize(("words", "bucket"), [
    (0, "no text"), (1, "1-5 words"), (5, "1-5 words"), (6, "6-15 words"), (15, "6-15 words"),
    (30, "16-30 words"), (31, "over 30 words"),
])
def test_caption_length_buckets(words, bucket):
    assert caption_length_bucket(words) == bucket


def test_caption_length_slices_come_in_word_order_not_alphabetical():
    values = ["16-30 words", "1-5 words", "over 30 words", "6-15 words", "no text"]
    rows = slice_metrics([0] * 5, [0] * 5, ["a", "b"], {"caption length": values})
    assert [r["value"] for r in rows] == ["no text", "1-5 words", "6-15 words", "16-30 words",
                                          "over 30 words"]


def test_session_outcomes_average_each_sessions_utterances():
    from amm_core.analysis import session_outcomes

    # session A: utterances .45, .45, .99 average .63 -> "y" (right); B: .9, .2 -> .55 "y"
    # (wrong: B is "x"); an unlabelled utterance of C leaves C out.
    probs = [[0.55, 0.45], [0.55, 0.45], [0.01, 0.99], [0.1, 0.9], [0.8, 0.2], [0.5, 0.5]]
    rows = session_outcomes(["A", "A", "A", "B", "B", "C"], [1, 1, 1, 0, 0, -100], probs,
                            ["x", "y"])
    assert [(r["session"], r["utterances"], r["true"], r["predicted"], r["correct"])
            for r in rows] == [("A", 3, "y", "y", True), ("B", 2, "x", "y", False)]
    assert rows[1]["confidence"] == pytest.approx(0.55)
