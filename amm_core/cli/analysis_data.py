"""A run's stored predictions as analysis cases: one per sample and task, with the true label
(DAIC emotion: the gold label when there is one), prediction, probabilities, confidence and the
dataset slices (gender, DAIC session, has image, caption length, split).

Shared by `amm report` and the Error analysis / Compare runs pages. Bad requests (unknown run,
a task the run did not learn, no predictions for the split, runs on different data) raise
CommandError with one line; nothing here writes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from amm_core.analysis import Slices, caption_length_bucket
from amm_core.cli.output import CommandError
from amm_core.cli.storage import Workspace
from amm_core.metrics import IGNORE_INDEX
from db import analysis as db_analysis
from db import crud

ALL_SPLITS = None  # `split` value meaning every split
SLICES = ("gender", "session", "has_image", "caption_length", "split")
SLICE_TITLES = {"gender": "gender", "session": "DAIC session", "has_image": "has image",
                "caption_length": "caption length", "split": "split"}
VISUAL_KINDS = ("image", "video")


@dataclass(frozen=True)
class Case:
    """One sample's prediction for one task."""

    sample_id: int
    external_id: str
    split: str
    text: str
    media_path: str | None
    media_kind: str | None
    gender: str
    session: str
    has_image: str  # "yes" | "no"
    caption_words: int
    caption_length: str
    true: str | None  # None: no label for this task
    predicted: str
    probabilities: dict[str, float]
    confidence: float

    @property
    def correct(self) -> bool | None:
        return None if self.true is None else self.true == self.predicted


@dataclass
class RunCases:
    run: str
    dataset: str
    dataset_kind: str
    task: str
    split: str | None  # None: every split
    labels: list[str]
    cases: list[Case] = field(default_factory=list)
    seed: int = 0  # the run's training seed: its bootstrap intervals use it, as evaluate's do

    def index(self, label: str | None) -> int:
        return IGNORE_INDEX if label not in self.labels else self.labels.index(label)

    def y_true(self) -> np.ndarray:
        return np.array([self.index(c.true) for c in self.cases], dtype=np.int64)

    def y_pred(self) -> np.ndarray:
        return np.array([self.labels.index(c.predicted) for c in self.cases], dtype=np.int64)

    def probs(self) -> np.ndarray:  # (N, K) in label order
        return np.array([[c.probabilities.get(name, 0.0) for name in self.labels]
                         for c in self.cases], dtype=float).reshape(len(self.cases), -1)

    def slices(self) -> Slices:
        """{slice: one value per case}; the DAIC session only on DAIC-style datasets. The
        mapping carries `groups()`, so per-slice intervals of DAIC cases resample sessions."""
        names = [s for s in SLICES if s != "session" or self.has_sessions()]
        return Slices({SLICE_TITLES[s]: [str(getattr(c, s)) for c in self.cases] for s in names},
                      groups=self.groups())

    def has_sessions(self) -> bool:
        return any(c.session != "none" for c in self.cases)

    def groups(self) -> list[str] | None:
        """Session ids for a cluster bootstrap when every case has one and there are several."""
        sessions = [c.session for c in self.cases]
        usable = "none" not in sessions and len(set(sessions)) > 1
        return sessions if usable else None


def run_coverage(workspace: Workspace, run: str) -> list[dict[str, Any]]:
    """The run's prediction counts per task and split; CommandError when it has none."""
    with workspace.sessions() as session:
        rows = db_analysis.prediction_coverage(session, run)
        if not rows:
            found = crud.get_run(session, run)
            if found is None:
                known = ", ".join(r["run"] for r in _distinct_runs(session)) or "none yet"
                raise CommandError(f"unknown run '{run}' (runs with predictions: {known})")
            raise CommandError(f"run '{run}' has no stored predictions (status: {found.status});"
                               f" train it to completion first")
    return rows


def _distinct_runs(session) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for row in db_analysis.prediction_coverage(session):
        seen.setdefault(row["run"], row)
    return list(seen.values())


def learned_tasks(coverage: list[dict[str, Any]]) -> list[str]:
    return sorted({row["task"] for row in coverage})


def check_request(run: str, coverage: list[dict[str, Any]], task: str, split: str | None) -> None:
    """CommandError unless the run has predictions for this task and split."""
    tasks = learned_tasks(coverage)
    if task not in tasks:
        raise CommandError(f"run '{run}' did not learn the {task} task "
                           f"(it predicts: {', '.join(tasks)})")
    splits = sorted({str(r["split"]) for r in coverage if r["task"] == task})
    if split is not None and split not in splits:
        raise CommandError(f"run '{run}' has no {task} predictions for split '{split}' "
                           f"(it has: {', '.join(splits)})")


def load_run_cases(workspace: Workspace, run: str, task: str, split: str | None) -> RunCases:
    """Every stored prediction of `run` for `task` on `split` (None: all splits) as cases."""
    coverage = run_coverage(workspace, run)
    check_request(run, coverage, task, split)
    first = coverage[0]
    with workspace.sessions() as session:
        dataset = crud.get_dataset(session, first["dataset"])
        label_sets = dict(dataset.label_sets or {}) if dataset is not None else {}
        rows = db_analysis.run_cases(session, first["run_id"], task, split)
        stored = crud.get_run(session, run)
        seed = int(((stored.config or {}).get("train") or {}).get("seed", 0)) if stored else 0
    labels = list(label_sets.get(task) or rows[0]["probabilities"].keys())
    return RunCases(run=run, dataset=first["dataset"], dataset_kind=first["dataset_kind"],
                    task=task, split=split, labels=labels,
                    cases=[_case(row, task, labels) for row in rows], seed=seed)


def case_rows(workspace: Workspace, run: str, split: str | None) -> list[dict[str, Any]]:
    """One flat row per sample and task the run learned: the Case fields plus "task" and
    "correct"; CommandError when the run has no prediction for the split at all."""
    coverage = run_coverage(workspace, run)
    tasks = [t for t in learned_tasks(coverage)
             if split is None or any(r["task"] == t and r["split"] == split for r in coverage)]
    if not tasks:
        check_request(run, coverage, learned_tasks(coverage)[0], split)
    rows = []
    for task in tasks:
        for case in load_run_cases(workspace, run, task, split).cases:
            rows.append({"task": task, **asdict(case), "correct": case.correct})
    return rows


def _true_label(row: dict[str, Any], task: str, labels: list[str]) -> str | None:
    if task == "depression":
        value = row["depression_label"]
        return labels[int(value)] if value is not None and 0 <= int(value) < len(labels) else None
    label = row["gold_label"] or row["emotion_label"]
    return label if label in labels else None


def _case(row: dict[str, Any], task: str, labels: list[str]) -> Case:
    probs = {name: float(row["probabilities"].get(name, 0.0)) for name in labels}
    predicted = row["predicted"] if row["predicted"] in labels else max(probs, key=probs.get)
    text = row["text"] or ""
    words = len(text.split())
    return Case(
        sample_id=row["sample_id"], external_id=row["external_id"],
        split=row["split"] or "unsplit", text=text, media_path=row["media_path"],
        media_kind=row["media_kind"], gender=row["gender"] or "unknown",
        session=row["session_id"] or "none",
        has_image="yes" if row["media_path"] and row["media_kind"] in VISUAL_KINDS else "no",
        caption_words=words, caption_length=caption_length_bucket(words),
        true=_true_label(row, task, labels), predicted=predicted, probabilities=probs,
        confidence=round(max(probs.values()), 6) if probs else 0.0,
    )


def shared_tasks(workspace: Workspace, run_a: str, run_b: str) -> list[str]:
    """Tasks both runs learned; CommandError when the runs cannot be compared at all."""
    cov_a, cov_b = run_coverage(workspace, run_a), run_coverage(workspace, run_b)
    if cov_a[0]["dataset_id"] != cov_b[0]["dataset_id"]:
        raise CommandError(f"runs '{run_a}' (dataset {cov_a[0]['dataset']}) and '{run_b}' "
                           f"(dataset {cov_b[0]['dataset']}) are on different datasets; "
                           f"compare runs of one dataset")
    tasks = sorted(set(learned_tasks(cov_a)) & set(learned_tasks(cov_b)))
    if not tasks:
        raise CommandError(f"runs '{run_a}' ({', '.join(learned_tasks(cov_a))}) and '{run_b}' "
                           f"({', '.join(learned_tasks(cov_b))}) learned no task in common")
    return tasks


def load_pair(workspace: Workspace, run_a: str, run_b: str, task: str,
              split: str | None) -> tuple[RunCases, RunCases]:
    """Both runs' cases for one task and split, on the same samples in the same order."""
    if run_a == run_b:
        raise CommandError(f"compare two different runs (both are '{run_a}')")
    shared_tasks(workspace, run_a, run_b)
    a = load_run_cases(workspace, run_a, task, split)
    b = load_run_cases(workspace, run_b, task, split)
    ids_a, ids_b = [c.sample_id for c in a.cases], [c.sample_id for c in b.cases]
    if ids_a != ids_b:
        where = f"split '{split}'" if split else "the dataset"
        raise CommandError(f"runs '{run_a}' and '{run_b}' have predictions for different "
                           f"samples of {where} ({len(ids_a)} vs {len(ids_b)}); "
                           + _pair_remedy(workspace, a, b, task))
    return a, b


def _pair_remedy(workspace: Workspace, a: RunCases, b: RunCases, task: str) -> str:
    """What makes two runs comparable: a split on which both have every prediction, else
    training a run again (only training stores a run's predictions; `amm predict --dataset`
    does not)."""
    def by_split(run: str) -> dict[str, list[int]]:
        found: dict[str, list[int]] = {}
        for case in load_run_cases(workspace, run, task, ALL_SPLITS).cases:
            found.setdefault(case.split, []).append(case.sample_id)
        return found

    split_a, split_b = by_split(a.run), by_split(b.run)
    shared = [s for s in ("test", "dev", "train", *sorted(split_a))
              if s in split_a and split_a[s] == split_b.get(s) and s != a.split]
    fewer = min((a, b), key=lambda r: len(r.cases)).run
    behind = f"'{fewer}'" if len(a.cases) != len(b.cases) else "the older run"
    again = f"train {behind} again under a new name so both predict the same samples"
    if shared:
        picks = " or ".join(dict.fromkeys(shared))
        return f"pick a split they both cover in full ({picks}), or {again}"
    return again
