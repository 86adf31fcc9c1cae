"""The numbers of an error analysis, from analysis cases: metrics with bootstrap intervals,
confusion matrix, calibration and per-slice metrics of one run; flips, McNemar's test and
per-slice deltas of two. JSON-ready dicts, shared by `amm report` and the dashboard pages."""

from __future__ import annotations

from typing import Any

from amm_core.analysis import reliability, slice_metrics
from amm_core.analysis_compare import flips, mcnemar, paired_deltas, slice_deltas
from amm_core.cli.analysis_data import Case, RunCases
from amm_core.metrics import evaluate_predictions, task_metrics

BOOTSTRAP = 1000
SEED = 0  # the paired comparisons of two runs (each run's own scores use its training seed)


def task_scores(cases: RunCases, bootstrap: int = BOOTSTRAP) -> dict[str, Any]:
    """`M` of this task (ARCHITECTURE.md) with intervals; a cluster bootstrap over DAIC
    sessions when the cases have them, and per-session scores from the averaged utterance
    probabilities, seeded with the run's seed: the figures `amm evaluate` gives for the same
    predictions. n=0 scores when no case has a true label."""
    spec = {"y_true": cases.y_true(), "y_pred": cases.y_pred(), "probs": cases.probs(),
            "labels": cases.labels}
    report = evaluate_predictions({cases.task: spec}, groups=cases.groups(),
                                  bootstrap=bootstrap, seed=cases.seed)
    return report.get(cases.task) or task_metrics(spec["y_true"], spec["y_pred"], cases.labels)


def run_summary(cases: RunCases, bootstrap: int = BOOTSTRAP) -> dict[str, Any]:
    """{"metrics", "confusion": {"labels", "matrix"}, "calibration", "slices"} of one task."""
    metrics = task_scores(cases, bootstrap)
    return {
        "metrics": metrics,
        "confusion": {"labels": cases.labels, "matrix": metrics["confusion"]},
        "calibration": reliability(cases.y_true(), cases.probs()),
        "slices": slice_metrics(cases.y_true(), cases.y_pred(), cases.labels, cases.slices()),
    }


def misclassified(cases: RunCases) -> list[Case]:
    """Wrong predictions, most confident first (the most surprising errors)."""
    wrong = [c for c in cases.cases if c.correct is False]
    return sorted(wrong, key=lambda c: (-c.confidence, c.sample_id))


def flip_cases(a: RunCases, b: RunCases) -> dict[str, list[tuple[Case, Case]]]:
    """(case in A, case in B) pairs where exactly one run is right, in sample order."""
    found = flips(a.y_true(), a.y_pred(), b.y_pred())
    return {key: [(a.cases[i], b.cases[i]) for i in rows] for key, rows in found.items()}


def compare_summary(a: RunCases, b: RunCases, bootstrap: int = BOOTSTRAP) -> dict[str, Any]:
    """{"flips": {direction: [external ids]}, "mcnemar", "deltas", "slice_deltas"} of A vs B."""
    true, pred_a, pred_b = a.y_true(), a.y_pred(), b.y_pred()
    pairs = flip_cases(a, b)
    return {
        "flips": {key: [case_a.external_id for case_a, _ in found]
                  for key, found in pairs.items()},
        "mcnemar": mcnemar(true, pred_a, pred_b),
        "deltas": paired_deltas(true, pred_a, pred_b, a.labels, n=bootstrap, seed=SEED,
                                groups=a.groups()),
        "slice_deltas": slice_deltas(true, pred_a, pred_b, a.labels, a.slices(),
                                     n=bootstrap, seed=SEED),
    }
