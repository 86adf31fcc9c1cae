"""Plain functions behind the Error analysis and Compare runs pages: which runs can be analysed,
one run's error analysis, the case browser's filters, and a comparison of two runs.

They take the workspace; bad requests raise amm_core.cli.output.CommandError with one line
(the pages show it with st.error). Nothing here writes to the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from amm_core.analysis import session_outcomes, value_order
from amm_core.analysis_compare import session_mcnemar
from amm_core.cli.analysis_data import (
    SLICE_TITLES,
    Case,
    RunCases,
    load_pair,
    load_run_cases,
    shared_tasks,
)
from amm_core.cli.analysis_summary import compare_summary, flip_cases, run_summary
from amm_core.cli.storage import Workspace
from db import analysis as db_analysis

ALL_SPLITS = "all splits"


@dataclass(frozen=True)
class RunChoice:
    run: str
    dataset: str
    variant: str
    tasks: tuple[str, ...]
    splits: tuple[str, ...]

    @property
    def title(self) -> str:
        return f"{self.run} · {self.dataset} · {self.variant}"


def analysable_runs(workspace: Workspace) -> list[RunChoice]:
    """Runs with stored predictions, newest first, with the tasks and splits they cover."""
    with workspace.sessions() as session:
        coverage = db_analysis.prediction_coverage(session)
    runs: dict[str, dict[str, Any]] = {}
    for row in coverage:
        entry = runs.setdefault(row["run"], {"row": row, "tasks": set(), "splits": set()})
        entry["tasks"].add(row["task"])
        entry["splits"].add(row["split"] or "unsplit")
    order = {"train": 0, "dev": 1, "test": 2}
    return [RunChoice(run=name, dataset=e["row"]["dataset"],
                      variant=e["row"]["variant"] + (f" ({e['row']['run_task']})"
                                                     if e["row"]["run_task"] else ""),
                      tasks=tuple(sorted(e["tasks"])),
                      splits=tuple(sorted(e["splits"], key=lambda s: (order.get(s, 3), s))))
            for name, e in runs.items()]


def split_value(choice: str) -> str | None:
    return None if choice == ALL_SPLITS else choice


@dataclass
class ErrorAnalysis:
    cases: RunCases
    metrics: dict[str, Any]
    confusion: list[list[int]]
    calibration: dict[str, Any]
    slices: list[dict[str, Any]]
    sessions: list[dict[str, Any]] = field(default_factory=list)  # DAIC: session_outcomes

    @property
    def per_session(self) -> dict[str, Any] | None:
        """The per-session scores (DAIC: utterance probabilities averaged per session)."""
        return self.metrics.get("per_session") if self.sessions else None


def error_analysis(workspace: Workspace, run: str, task: str, split: str) -> ErrorAnalysis:
    """Everything the Error analysis page shows for one run, task and split (or ALL_SPLITS),
    with one outcome per DAIC session when the cases have sessions."""
    cases = load_run_cases(workspace, run, task, split_value(split))
    summary = run_summary(cases)
    groups = cases.groups()
    sessions = ([] if groups is None or "per_session" not in summary["metrics"] else
                session_outcomes(groups, cases.y_true(), cases.probs(), cases.labels))
    return ErrorAnalysis(cases=cases, metrics=summary["metrics"],
                         confusion=summary["confusion"]["matrix"],
                         calibration=summary["calibration"], slices=summary["slices"],
                         sessions=sessions)


@dataclass
class CaseFilter:
    """Empty collections mean "any"."""

    true: list[str] = field(default_factory=list)
    predicted: list[str] = field(default_factory=list)
    confidence: tuple[float, float] = (0.0, 1.0)
    only_errors: bool = False
    splits: list[str] = field(default_factory=list)
    gender: list[str] = field(default_factory=list)
    session: list[str] = field(default_factory=list)
    has_image: list[str] = field(default_factory=list)
    caption_length: list[str] = field(default_factory=list)


SLICE_FILTERS = ("gender", "session", "has_image", "caption_length")


def filter_cases(cases: list[Case], chosen: CaseFilter) -> list[Case]:
    """The cases that pass every filter, most confident first."""
    low, high = chosen.confidence

    def keep(case: Case) -> bool:
        if chosen.true and case.true not in chosen.true:
            return False
        if chosen.predicted and case.predicted not in chosen.predicted:
            return False
        if chosen.only_errors and case.correct is not False:
            return False
        if chosen.splits and case.split not in chosen.splits:
            return False
        if not low <= case.confidence <= high:
            return False
        return all(not getattr(chosen, name) or getattr(case, name) in getattr(chosen, name)
                   for name in SLICE_FILTERS)

    return sorted((c for c in cases if keep(c)), key=lambda c: (-c.confidence, c.sample_id))


def slice_options(cases: RunCases) -> dict[str, list[str]]:
    """{filter field: values present} for the slice filters (the session only on DAIC data)."""
    out = {}
    for name in SLICE_FILTERS:
        if name == "session" and not cases.has_sessions():
            continue
        out[name] = sorted({str(getattr(c, name)) for c in cases.cases}, key=value_order)
    return out


def slice_title(name: str) -> str:
    return SLICE_TITLES[name]


def comparable_runs(runs: list[RunChoice], run: str) -> list[RunChoice]:
    """The runs (from analysable_runs) other than `run` on its dataset that share a task."""
    mine = next((r for r in runs if r.run == run), None)
    if mine is None:
        return []
    return [r for r in runs if r.run != run and r.dataset == mine.dataset
            and set(r.tasks) & set(mine.tasks)]


@dataclass
class Comparison:
    a: RunCases
    b: RunCases
    metrics_a: dict[str, Any]
    metrics_b: dict[str, Any]
    mcnemar: dict[str, Any]
    deltas: dict[str, Any]
    slice_deltas: list[dict[str, Any]]
    flips: dict[str, list[tuple[Case, Case]]]
    session_mcnemar: dict[str, Any] | None = None  # DAIC: the test on per-session predictions

    @property
    def utterances(self) -> bool:
        """Whether the rows are DAIC utterances (McNemar's row test then assumes them
        independent, which those of one session are not)."""
        return self.session_mcnemar is not None


def compare_tasks(workspace: Workspace, run_a: str, run_b: str) -> list[str]:
    return shared_tasks(workspace, run_a, run_b)


def compare_runs(workspace: Workspace, run_a: str, run_b: str, task: str,
                 split: str) -> Comparison:
    """Runs A and B on the same task and split: flips, McNemar's test, deltas per slice."""
    a, b = load_pair(workspace, run_a, run_b, task, split_value(split))
    summary = compare_summary(a, b)
    groups = a.groups()
    sessions = (None if groups is None else
                session_mcnemar(a.y_true(), a.probs(), b.probs(), groups))
    return Comparison(a=a, b=b, metrics_a=run_summary(a, bootstrap=0)["metrics"],
                      metrics_b=run_summary(b, bootstrap=0)["metrics"],
                      mcnemar=summary["mcnemar"], deltas=summary["deltas"],
                      slice_deltas=summary["slice_deltas"], flips=flip_cases(a, b),
                      session_mcnemar=sessions)


def slice_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per-slice metrics as table rows with readable headers."""
    return [{"slice": r["slice"], "value": r["value"], "cases": r["n"], "errors": r["errors"],
             "accuracy": r["accuracy"], "macro F1": r["macro_f1"],
             "balanced accuracy": r["balanced_accuracy"]} for r in rows]


def delta_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per-slice deltas (A - B) with their 95 % paired bootstrap intervals, as table rows."""
    out = []
    for r in rows:
        row = {"slice": r["slice"], "value": r["value"], "cases": r["n"]}
        for metric, title in (("accuracy", "accuracy"), ("macro_f1", "macro F1")):
            d = r[metric]
            row[f"{title} A−B"] = None if d["delta"] is None else round(d["delta"], 3)
            row[f"{title} 95 % interval"] = ("—" if d["interval"] is None else
                                             f"[{d['interval'][0]:+.3f}, {d['interval'][1]:+.3f}]")
        out.append(row)
    return out


def session_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Misclassified sessions (from ErrorAnalysis.sessions), most confident first."""
    wrong = sorted((r for r in rows if not r["correct"]), key=lambda r: -r["confidence"])
    return [{"session": r["session"], "utterances": r["utterances"], "true": r["true"],
             "predicted": r["predicted"], "confidence": round(r["confidence"], 3)}
            for r in wrong]
