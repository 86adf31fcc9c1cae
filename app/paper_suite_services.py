"""The paper suite on the Runs page: Tables III, IV and V with our test figures beside the
paper's, from the latest `amm experiment --suite paper` runs (named
`exp-DATASET-KEY-sSEED`) or, when those runs are gone, from its `runs/DATASET-paper/report.csv`.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from amm_core.cli.storage import Workspace
from amm_core.experiment import PAPER_SUITE, report_rows, suite_runs
from db import crud
from db import runs as db_runs

REPORT_FOLDER_SUFFIX, REPORT_CSV = "-paper", "report.csv"


@dataclass
class SuiteResult:
    dataset: str
    source: str  # "runs (seed S[, N epochs])" or the report file
    tables: dict[str, list[dict[str, Any]]]
    missing: list[str] = field(default_factory=list)  # grid runs not (yet) completed


def suite_command(dataset: str) -> str:
    return f"amm experiment --dataset {dataset} --suite paper"


def _seed_of(name: str, prefix: str) -> int | None:
    rest = name.removeprefix(prefix)
    return int(rest) if name.startswith(prefix) and rest.isdigit() else None


def _latest_suite(runs: list[Any], dataset: str) -> tuple[int, dict[str, Any]] | None:
    """(seed, grid key -> completed run) of the dataset's most recently finished suite."""
    by_seed: dict[int, dict[str, Any]] = {}
    for grid_run in suite_runs():
        prefix = f"exp-{dataset}-{grid_run.key()}-s"
        for run in runs:
            seed = _seed_of(run.name, prefix)
            if seed is not None and run.status == "completed":
                by_seed.setdefault(seed, {})[grid_run.key()] = run
    if not by_seed:
        return None
    seed = max(by_seed, key=lambda s: max(str(r.finished_at) for r in by_seed[s].values()))
    return seed, by_seed[seed]


def _epochs(runs: list[Any]) -> str:
    """", N epochs" when every run records the same epochs (`amm experiment` sees to that)."""
    found = {((run.config or {}).get("train") or {}).get("epochs") for run in runs}
    return f", {found.pop()} epochs" if len(found) == 1 and None not in found else ""


def _tables(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    tables: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        ours, paper = row.get("micro_f1"), row.get("paper_micro_f1")
        tables.setdefault(row["table"], []).append({
            "model": row["model"], "task": row.get("task"), "ours micro-F1 %": ours,
            "ours macro-F1 %": row.get("macro_f1"), "paper micro-F1 %": paper,
            "ours − paper": None if ours is None or paper is None else round(ours - paper, 1),
            "run": row.get("run"),
        })
    return tables


def _from_report(path: Path) -> list[dict[str, Any]]:
    """The report CSV's rows with its numbers as floats (empty cells -> None)."""
    def number(text: str | None) -> float | None:
        try:
            return float(text) if text not in (None, "") else None
        except ValueError:
            return None

    with open(path, encoding="utf-8", newline="") as handle:
        return [{**row, **{k: number(row.get(k))
                           for k in ("micro_f1", "macro_f1", "paper_micro_f1")}}
                for row in csv.DictReader(handle)]


def suite_results(workspace: Workspace) -> list[SuiteResult]:
    """The latest paper-suite results per dataset (runs first, else report files)."""
    with workspace.sessions() as session:
        datasets = {d.name: d.kind for d in crud.list_datasets(session)}
        runs = db_runs.list_runs(session)
    found: list[SuiteResult] = []
    for name, kind in datasets.items():
        latest = _latest_suite(runs, name)
        if latest is None:
            continue
        seed, done = latest
        results = {key: dict(run.metrics or {}) for key, run in done.items()}
        missing = [g.key() for g in suite_runs() if g.key() not in results]
        found.append(SuiteResult(name, f"runs (seed {seed}{_epochs(list(done.values()))})",
                                 _tables(report_rows(kind, results)), missing))
    covered = {r.dataset for r in found}
    for path in sorted(workspace.settings.runs_dir.glob(f"*{REPORT_FOLDER_SUFFIX}/{REPORT_CSV}")):
        dataset = path.parent.name.removesuffix(REPORT_FOLDER_SUFFIX)
        if dataset not in covered:
            try:
                rows = _from_report(path)
            except (OSError, csv.Error, KeyError):
                continue
            if rows and all("table" in r and "model" in r for r in rows):
                found.append(SuiteResult(dataset, str(path), _tables(rows)))
    return found


def table_titles() -> list[str]:
    return list(dict.fromkeys(row.table for row in PAPER_SUITE))
