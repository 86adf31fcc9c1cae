"""Two runs compared: flips on constructed predictions, McNemar's test against hand-computed
p-values, paired bootstrap deltas overall and per slice."""

from __future__ import annotations

import math

import pytest

from amm_core.analysis_compare import (
    CHI2_METHOD,
    EXACT_BELOW,
    EXACT_METHOD,
    flips,
    mcnemar,
    mcnemar_from_counts,
    paired_deltas,
    slice_deltas,
)

LABELS = ["a", "b", "c"]


def test_flips_on_constructed_predictions():
    true = [0, 1, 2, 0, 1, -100, 2]
    a = [0, 1, 0, 2, 1, 1, 2]  # right on rows 0, 1, 4, 6
    b = [0, 2, 2, 0, 1, 0, 1]  # right on rows 0, 2, 3, 4
    found = flips(true, a, b)
    assert found == {"a_right_b_wrong": [1, 6], "b_right_a_wrong": [2, 3]}
    # the unlabelled row 5 (A says 1, B says 0) is neither


def test_exact_mcnemar_by_hand():
    # b=1, c=5: P(X <= 1) for X ~ Bin(6, 1/2) = (1 + 6) / 64; two-sided doubles it
    result = mcnemar_from_counts(1, 5)
    assert result["method"] == EXACT_METHOD and result["statistic"] is None
    assert result["p_value"] == pytest.approx(14 / 64, abs=1e-6)
    assert mcnemar_from_counts(5, 1)["p_value"] == result["p_value"]
    # no discordant pair: no evidence either way
    assert mcnemar_from_counts(0, 0)["p_value"] == 1.0
    # equal counts: the two tails overlap, p is capped at 1
    assert mcnemar_from_counts(3, 3)["p_value"] == 1.0


def test_chi_square_mcnemar_by_hand():
    # b=20, c=10: (|20 - 10| - 1)^2 / 30 = 2.7; P(chi2_1 > 2.7) = erfc(sqrt(1.35))
    result = mcnemar_from_counts(20, 10)
    assert result["method"] == CHI2_METHOD
    assert result["statistic"] == pytest.approx(2.7)
    assert result["p_value"] == pytest.approx(math.erfc(math.sqrt(1.35)), abs=1e-6)
    assert result["p_value"] == pytest.approx(0.100348, abs=1e-5)  # chi-square table value


def test_the_method_switches_at_the_documented_count():
    assert mcnemar_from_counts(EXACT_BELOW - 1, 0)["method"] == EXACT_METHOD
    assert mcnemar_from_counts(EXACT_BELOW, 0)["method"] == CHI2_METHOD


def test_mcnemar_agrees_with_scipy():
    stats = pytest.importorskip("scipy.stats")
    assert mcnemar_from_counts(3, 12)["p_value"] == pytest.approx(
        stats.binomtest(3, 15, 0.5).pvalue, abs=1e-6)
    assert mcnemar_from_counts(30, 14)["p_value"] == pytest.approx(
        stats.chi2.sf((16 - 1) ** 2 / 44, 1), abs=1e-6)


def test_mcnemar_from_predictions_counts_the_flips():
    true = [0, 1, 2, 0, 1, -100, 2]
    a = [0, 1, 0, 2, 1, 1, 2]
    b = [0, 2, 2, 0, 1, 0, 1]
    result = mcnemar(true, a, b)
    assert (result["a_right_b_wrong"], result["b_right_a_wrong"], result["n"]) == (2, 2, 6)


def test_paired_deltas_of_identical_runs_are_zero():
    true = [0, 1, 2, 0, 1, 2]
    pred = [0, 1, 1, 0, 2, 2]
    result = paired_deltas(true, pred, pred, LABELS, n=200)
    assert result["accuracy"]["delta"] == 0.0
    assert result["accuracy"]["interval"] == [0.0, 0.0]  # pairing removes all noise


def test_paired_interval_never_goes_below_zero_when_a_dominates():
    # A is right wherever B is right, and also on two more rows: every resample has A >= B
    true = [0, 1, 2, 0, 1, 2, 0, 1, 2, 0]
    b = [0, 1, 2, 0, 1, 0, 1, 2, 0, 1]  # right on 5
    a = [0, 1, 2, 0, 1, 2, 0, 2, 0, 1]  # right on 7
    result = paired_deltas(true, a, b, LABELS, n=500, seed=1)
    acc = result["accuracy"]
    assert (acc["a"], acc["b"], acc["delta"]) == (0.7, 0.5, 0.2)
    low, high = acc["interval"]
    assert 0.0 <= low < 0.2 < high
    assert paired_deltas(true, a, b, LABELS, n=500, seed=1) == result  # deterministic


def test_slice_deltas_by_hand():
    true = [0, 0, 1, 1, 0, -100]
    a = [0, 0, 1, 0, 0, 1]
    b = [0, 1, 1, 1, 1, 1]
    slices = {"gender": ["f", "f", "f", "m", "m", "m"]}
    rows = {r["value"]: r for r in slice_deltas(true, a, b, ["x", "y"], slices, n=100)}
    # f: A right 3/3, B right 2/3; m (one unlabelled row left out): A 1/2, B 1/2
    assert rows["f"]["n"] == 3 and rows["m"]["n"] == 2
    assert rows["f"]["accuracy"]["delta"] == pytest.approx(1 / 3, abs=1e-6)
    assert rows["m"]["accuracy"]["delta"] == 0.0
    assert rows["f"]["accuracy"]["interval"][0] >= 0.0


def test_no_scored_row_gives_empty_deltas():
    result = paired_deltas([-100, -100], [0, 1], [1, 0], ["x", "y"])
    assert result["accuracy"] == {"a": None, "b": None, "delta": None, "interval": None}


def _sessions_that_cancel_out() -> dict:
    """8 DAIC-like sessions of 4 utterances: in each, A alone is right on one utterance and B
    alone on another, so every session's accuracy difference is exactly 0."""
    true, a, b, groups = [], [], [], []
    for s in range(8):
        true += [0, 1, 0, 1]
        a += [0, 0, 0, 1]  # right on utterances 0, 2, 3
        b += [1, 1, 0, 1]  # right on utterances 1, 2, 3
        groups += [f"s{s}"] * 4
    return {"true": true, "a": a, "b": b, "groups": groups}


def test_slice_intervals_resample_sessions_like_the_headline():
    d = _sessions_that_cancel_out()
    headline = paired_deltas(d["true"], d["a"], d["b"], ["x", "y"], n=200, groups=d["groups"])
    assert headline["accuracy"]["interval"] == [0.0, 0.0]
    slices = {"gender": ["male"] * len(d["true"])}  # one slice holding every case
    row = slice_deltas(d["true"], d["a"], d["b"], ["x", "y"], slices, n=200,
                       groups=d["groups"])[0]
    assert row["accuracy"]["interval"] == headline["accuracy"]["interval"]
    # slices that carry their rows' sessions (RunCases.slices() on DAIC) resample them too
    from amm_core.analysis import Slices

    carried = slice_deltas(d["true"], d["a"], d["b"], ["x", "y"],
                           Slices(slices, groups=d["groups"]), n=200)[0]
    assert carried["accuracy"]["interval"] == [0.0, 0.0]
    one_session = slice_deltas(d["true"], d["a"], d["b"], ["x", "y"],
                               {"DAIC session": d["groups"]}, n=50, groups=d["groups"])
    assert all(r["accuracy"]["interval"] is None for r in one_session)  # nothing to resample
    rows_only = slice_deltas(d["true"], d["a"], d["b"], ["x", "y"], slices, n=200)[0]
    assert rows_only["accuracy"]["interval"][0] < 0 < rows_only["accuracy"]["interval"][1]


def test_tiny_p_values_keep_their_precision_and_read_as_below_the_display_floor():
    from amm_core.analysis_compare import p_phrase, p_text

    p = mcnemar_from_counts(60, 2)["p_value"]
    assert 0 < p < 1e-9  # not rounded away to 0.0
    assert p_text(p) == "< 0.0001"
    assert p_text(0.01234) == "0.0123" and p_text(1.0) == "1.0000"
    assert (p_phrase(p), p_phrase(0.5)) == ("p < 0.0001", "p = 0.5000")
