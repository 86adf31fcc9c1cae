"""`amm report` and the dashboard score a run as `amm evaluate` does: DAIC sessions from their
averaged utterance probabilities, intervals seeded with the run's seed."""

from __future__ import annotations

from amm_core.cli.analysis_data import Case, RunCases
from amm_core.cli.analysis_summary import task_scores
from amm_core.metrics import evaluate_predictions

LABELS = ["not depressed", "depressed"]


def _cases(sessions: list[str], truth: list[int], p_depressed: list[float], seed: int
           ) -> RunCases:
    cases = [
        Case(sample_id=i, external_id=f"u{i}", split="test", text="t", media_path=None,
             media_kind=None, gender="male", session=s, has_image="no", caption_words=1,
             caption_length="short", true=LABELS[t], predicted=LABELS[int(p > 0.5)],
             probabilities={LABELS[0]: 1 - p, LABELS[1]: p}, confidence=max(p, 1 - p))
        for i, (s, t, p) in enumerate(zip(sessions, truth, p_depressed, strict=True))
    ]
    return RunCases(run="r", dataset="d", dataset_kind="daic", task="depression", split="test",
                    labels=LABELS, cases=cases, seed=seed)


def test_sessions_are_scored_from_averaged_probabilities_not_votes() -> None:
    # Session A is depressed: two utterances at 0.45 and one at 0.99 average 0.63 (depressed),
    # though two of three utterances vote "not depressed".
    cases = _cases(["A", "A", "A", "B", "B"], [1, 1, 1, 0, 0], [0.45, 0.45, 0.99, 0.1, 0.1], 0)
    scores = task_scores(cases, bootstrap=0)
    assert scores["per_session"]["micro_f1"] == 1.0
    assert scores["per_session"]["confusion"] == [[1, 0], [0, 1]]


def test_intervals_use_the_runs_seed_as_evaluate_does() -> None:
    sessions = [s for s in "ABCDEFGH" for _ in range(3)]
    truth = [i % 2 for i in range(8) for _ in range(3)]
    probs = [0.2 + 0.07 * (i % 9) for i in range(24)]
    cases = _cases(sessions, truth, probs, seed=7)
    spec = {"y_true": cases.y_true(), "y_pred": None, "probs": cases.probs(), "labels": LABELS}
    evaluated = evaluate_predictions({"depression": spec}, groups=sessions, bootstrap=200,
                                     seed=7)["depression"]
    other_seed = evaluate_predictions({"depression": spec}, groups=sessions, bootstrap=200,
                                      seed=0)["depression"]
    assert evaluated["intervals"] != other_seed["intervals"]  # the seed shows
    assert task_scores(cases, bootstrap=200) == evaluated
