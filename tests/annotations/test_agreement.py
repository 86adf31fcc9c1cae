"""Agreement statistics checked against published worked examples and hand-made cases."""

from __future__ import annotations

import numpy as np
import pytest

from annotations.agreement import (
    agreement_report,
    bootstrap_intervals,
    cohen_kappa,
    fleiss_kappa,
    krippendorff_alpha,
    label_rates,
    pairwise_cohen,
    pairwise_confusion,
    percent_agreement,
    ratings_matrix,
)


def _two_rater_vectors(yy: int, yn: int, ny: int, nn: int) -> tuple[list[int], list[int]]:
    """Vectors for a 2x2 table: yy both 'yes'(0), yn A yes / B no, ny A no / B yes, nn both no."""
    a = [0] * yy + [0] * yn + [1] * ny + [1] * nn
    b = [0] * yy + [1] * yn + [0] * ny + [1] * nn
    return a, b


# Wikipedia, "Cohen's kappa", Simple example: 50 proposals, 20 yes/yes, 5 A-yes/B-no,
# 10 A-no/B-yes, 15 no/no -> p_o = 0.7, p_e = 0.5, kappa = 0.4.
def test_cohen_wikipedia_simple_example() -> None:
    assert cohen_kappa(*_two_rater_vectors(20, 5, 10, 15)) == pytest.approx(0.4)


# Wikipedia, "Cohen's kappa", Same percentages but different numbers: tables 45/15/25/15
# (kappa 0.1304) and 25/35/5/35 (kappa 0.2593), both with 60 % observed agreement.
def test_cohen_wikipedia_same_percentage_examples() -> None:
    assert cohen_kappa(*_two_rater_vectors(45, 15, 25, 15)) == pytest.approx(0.06 / 0.46)
    assert round(cohen_kappa(*_two_rater_vectors(45, 15, 25, 15)), 4) == 0.1304
    assert round(cohen_kappa(*_two_rater_vectors(25, 35, 5, 35)), 4) == 0.2593


def test_cohen_ignores_items_not_rated_by_both() -> None:
    a, b = _two_rater_vectors(20, 5, 10, 15)
    assert cohen_kappa(a + [0, -1], b + [-1, 1]) == pytest.approx(0.4)


# Wikipedia, "Fleiss' kappa", Worked example: 10 subjects, 14 raters, 5 categories;
# n_ij per subject below; P_bar = 0.378, P_e = 0.213, kappa = 0.210.
FLEISS_TABLE = [
    [0, 0, 0, 0, 14],
    [0, 2, 6, 4, 2],
    [0, 0, 3, 5, 6],
    [0, 3, 9, 2, 0],
    [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0],
    [3, 2, 6, 3, 0],
    [2, 5, 3, 2, 2],
    [6, 5, 2, 1, 0],
    [0, 2, 2, 3, 7],
]


def _matrix_from_counts(table: list[list[int]]) -> np.ndarray:
    """One row per subject; rater r gets the r-th label of the subject's sorted ratings."""
    return np.array([[k for k, n in enumerate(row) for _ in range(n)] for row in table])


def test_fleiss_wikipedia_example() -> None:
    matrix = _matrix_from_counts(FLEISS_TABLE)
    assert matrix.shape == (10, 14)
    assert round(fleiss_kappa(matrix), 3) == 0.210
    assert fleiss_kappa(matrix) == pytest.approx(0.20993, abs=1e-5)


def test_fleiss_uses_only_items_with_the_modal_rater_count() -> None:
    matrix = _matrix_from_counts(FLEISS_TABLE)
    extra = np.full((2, 14), -1)
    extra[0, :3] = [0, 1, 2]  # 3 raters: not the modal 14, so left out
    extra[1, 0] = 4  # a single rating: never used
    assert fleiss_kappa(np.vstack([matrix, extra])) == pytest.approx(fleiss_kappa(matrix))


# Krippendorff, K. (2011). Computing Krippendorff's Alpha-Reliability, section C
# ("Nominal data, any number of observers, missing data"): 4 observers, 12 units, values 1-5,
# "." missing; published alpha (nominal) = 0.743. Rows are observers A-D, columns units 1-12.
_ = None
KRIPPENDORFF_TABLE = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, _, _, _],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, _, 3],
    [_, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, _],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, _],
]


def _krippendorff_matrix() -> np.ndarray:
    # values 1-5 become label indices 0-4; (units, observers)
    return np.array([[-1 if v is None else v - 1 for v in row] for row in KRIPPENDORFF_TABLE]).T


def test_krippendorff_published_example_with_missing_data() -> None:
    matrix = _krippendorff_matrix()
    assert matrix.shape == (12, 4)
    assert round(krippendorff_alpha(matrix), 3) == 0.743
    # Krippendorff's own tables: n = 40 pairable values, sum o_cc = 7 + 10 + 8 + 4 + 3 = 32,
    # n_c = 9, 13, 10, 5, 3 -> sum n_c^2 = 384.
    assert krippendorff_alpha(matrix) == pytest.approx(1 - 39 * 8 / (1600 - 384))


def test_krippendorff_complete_two_rater_hand_count() -> None:
    # Complete 2-rater data: alpha = 1 - (n-1) D_o / D_e, here 6 units, one disagreement.
    matrix = np.array([[0, 0], [0, 0], [1, 1], [1, 1], [0, 1], [1, 1]])
    # n = 12, o_cc = 4 + 6 = 10, n_c = (5, 7) -> 1 - 11 * 2 / (144 - 74)
    assert krippendorff_alpha(matrix) == pytest.approx(1 - 22 / 70)


def test_percent_agreement_hand_made() -> None:
    matrix = np.array(
        [
            [0, 0, 0],  # 3/3 pairs agree -> 1
            [0, 0, 1],  # 1/3 -> 1/3
            [0, 1, -1],  # 0/1 -> 0
            [1, -1, -1],  # one rating: not counted
        ]
    )
    assert percent_agreement(matrix) == pytest.approx((1 + 1 / 3 + 0) / 3)


def test_degenerate_cases_return_none() -> None:
    same = np.zeros((4, 3), dtype=int)
    assert cohen_kappa(same[:, 0], same[:, 1]) is None
    assert fleiss_kappa(same) is None
    assert krippendorff_alpha(same) is None
    assert percent_agreement(same) == 1.0
    single_rater = np.array([[0], [1], [1]])
    assert percent_agreement(single_rater) is None
    assert fleiss_kappa(single_rater) is None
    assert krippendorff_alpha(single_rater) is None
    assert cohen_kappa([0, -1], [-1, 1]) is None
    assert pairwise_cohen(single_rater, ["ann"]) == {}
    empty = np.zeros((0, 0), dtype=int)
    assert percent_agreement(empty) is None
    assert krippendorff_alpha(empty) is None
    assert bootstrap_intervals(empty, [], n=10) == {
        "percent_agreement": None,
        "fleiss_kappa": None,
        "krippendorff_alpha": None,
    }


def test_bootstrap_is_deterministic_and_contains_the_estimate() -> None:
    matrix = _krippendorff_matrix()
    first = bootstrap_intervals(matrix, ["A", "B", "C", "D"], n=500, seed=7)
    again = bootstrap_intervals(matrix, ["A", "B", "C", "D"], n=500, seed=7)
    assert first == again
    assert first != bootstrap_intervals(matrix, ["A", "B", "C", "D"], n=500, seed=8)
    estimates = {
        "percent_agreement": percent_agreement(matrix),
        "fleiss_kappa": fleiss_kappa(matrix),
        "krippendorff_alpha": krippendorff_alpha(matrix),
    }
    for name, value in estimates.items():
        lo, hi = first[name]
        assert lo <= value <= hi, name


def test_ratings_matrix_and_errors() -> None:
    ratings = [("u2", "bob", "sad"), ("u1", "amy", "non-sad"), ("u1", "bob", "sad")]
    items, annotators, labels, matrix = ratings_matrix(ratings)
    assert (items, annotators, labels) == (["u1", "u2"], ["amy", "bob"], ["non-sad", "sad"])
    assert matrix.tolist() == [[0, 1], [-1, 1]]
    _, _, labels, matrix = ratings_matrix(ratings, labels=["sad", "non-sad"])
    assert matrix.tolist() == [[1, 0], [-1, 0]]
    with pytest.raises(ValueError, match="unknown label 'happy'"):
        ratings_matrix([("u1", "amy", "happy")], labels=["sad"])
    with pytest.raises(ValueError, match="'amy' rated it more than once"):
        ratings_matrix([("u1", "amy", "sad"), ("u1", "amy", "sad")])


def test_label_rates_and_pairwise_confusion_key_order() -> None:
    matrix = np.array([[0, 1], [1, 1], [0, -1]])  # columns: zoe, adam
    assert label_rates(matrix, ["zoe", "adam"], ["sad", "ok"]) == {
        "zoe": {"sad": pytest.approx(2 / 3), "ok": pytest.approx(1 / 3)},
        "adam": {"sad": 0.0, "ok": 1.0},
    }
    # key and rows follow the sorted names: rows = adam's label, columns = zoe's label
    assert pairwise_confusion(matrix, ["zoe", "adam"], ["sad", "ok"]) == {
        "adam|zoe": [[0, 0], [1, 1]]
    }
    assert list(pairwise_cohen(matrix, ["zoe", "adam"])) == ["adam|zoe"]


def test_agreement_report_keys_and_values() -> None:
    ratings = [
        (f"u{u}", name, str(matrix_value + 1))
        for u, row in enumerate(_krippendorff_matrix())
        for name, matrix_value in zip(["obs_d", "obs_b", "obs_c", "obs_a"], row, strict=True)
        if matrix_value != -1
    ]
    report = agreement_report(ratings, bootstrap=200, seed=0)
    assert set(report) == {
        "items",
        "annotators",
        "percent_agreement",
        "cohen_kappa",
        "fleiss_kappa",
        "krippendorff_alpha",
        "intervals",
        "label_rates",
        "pairwise_confusion",
    }
    assert report["items"] == 12
    assert report["annotators"] == ["obs_a", "obs_b", "obs_c", "obs_d"]
    assert report["krippendorff_alpha"] == round(1 - 39 * 8 / (1600 - 384), 6)
    assert set(report["cohen_kappa"]) == {
        "obs_a|obs_b",
        "obs_a|obs_c",
        "obs_a|obs_d",
        "obs_b|obs_c",
        "obs_b|obs_d",
        "obs_c|obs_d",
    }
    assert report["pairwise_confusion"].keys() == report["cohen_kappa"].keys()
    # "obs_a" is observer D (names given in reverse to test sorting): 11 ratings, three 1s
    assert report["label_rates"]["obs_a"]["1"] == round(3 / 11, 6)
    assert report["intervals"] == agreement_report(ratings, bootstrap=200, seed=0)["intervals"]
    assert agreement_report(ratings, bootstrap=0)["intervals"]["fleiss_kappa"] is None


def test_agreement_report_single_label_everywhere_is_none_not_nan() -> None:
    ratings = [(f"u{u}", a, "sad") for u in range(3) for a in ("amy", "bob")]
    report = agreement_report(ratings, bootstrap=50)
    assert report["percent_agreement"] == 1.0
    assert report["cohen_kappa"] == {"amy|bob": None}
    assert report["fleiss_kappa"] is None
    assert report["krippendorff_alpha"] is None
    assert report["intervals"]["krippendorff_alpha"] is None
