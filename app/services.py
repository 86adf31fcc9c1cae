"""Plain functions the pages call. They take the workspace as an argument, so tests call them
without Streamlit."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import make_url

from amm_core.cli.demo_bootstrap import DEMO_DATASETS, bootstrap_demo, demo_present
from amm_core.cli.storage import Workspace
from app.audit_services import IMAGE_PROBLEMS
from db import crud

NO_DEMO_ENV = "AMM_NO_DEMO"


@dataclass
class DatasetOverview:
    name: str
    kind: str
    synthetic: bool
    samples: int
    splits: dict[str, int]
    label_rows: list[dict[str, Any]]
    summary: dict[str, Any] = field(default_factory=dict)


def needs_demo(workspace: Workspace) -> bool:
    """True on a first launch (no dataset yet), or when an interrupted demo build left only part
    of the demo; never when the user has data of their own or switched the demo off."""
    if os.environ.get(NO_DEMO_ENV):
        return False
    with workspace.sessions() as session:
        datasets = crud.list_datasets(session)
    if not datasets:
        return True
    only_demo = {d.name for d in datasets} <= set(DEMO_DATASETS)
    return only_demo and not demo_present(workspace)


def build_demo(workspace: Workspace, progress: Callable[[float, str], None]) -> dict[str, Any]:
    return bootstrap_demo(workspace, progress=progress)


def safe_database_url(workspace: Workspace) -> str:
    """The database URL with any password hidden."""
    return make_url(workspace.settings.database_url).render_as_string(hide_password=True)


def dataset_overviews(workspace: Workspace) -> list[DatasetOverview]:
    with workspace.sessions() as session:
        overviews = []
        for dataset in crud.list_datasets(session):
            rows = crud.label_counts(session, dataset)
            splits: dict[str, int] = {}
            for row in rows:
                key = row["split"] or "unsplit"
                splits[key] = splits.get(key, 0) + row["count"]
            overviews.append(DatasetOverview(
                name=dataset.name, kind=dataset.kind, synthetic=dataset.synthetic,
                samples=sum(splits.values()), splits=splits, label_rows=rows,
                summary=dict(dataset.summary or {}),
            ))
    return overviews


# Image problems as the Data audit defines and labels them (its unreadable files need a decode,
# so Home, which shows the import's own counts, leaves them to the audit).
MGID_QUALITY_KEYS = (
    ("rows", "rows read"),
    *((summary_key, label) for summary_key, label, _ in IMAGE_PROBLEMS.values() if summary_key),
    ("empty_text", "empty captions"),
    ("duplicated_images", "images used by several rows"),
    ("cross_split_images", "images in more than one split"),
    ("label_conflicts", "images with conflicting labels"),
    ("text_is_url", "captions that are a bare URL"),
)


DAIC_MISSING_KEYS = (
    "sessions_without_transcript", "sessions_without_openface", "sessions_without_audio",
    "sessions_without_labels",
)


def mgid_quality(overview: DatasetOverview) -> dict[str, Any]:
    """The data-quality numbers of an MGID import, labelled for people."""
    summary = overview.summary
    return {
        "figures": {label: summary.get(key, 0) for key, label in MGID_QUALITY_KEYS},
        "skipped": summary.get("skipped", {}),
        "examples": summary.get("examples", {}),
        "split_shift_warning": summary.get("split_shift_warning"),
    }


def run_overviews(workspace: Workspace) -> list[dict[str, Any]]:
    """One row per model run: name, dataset, variant, status, progress and test micro-F1."""
    from db.runs import list_runs

    with workspace.sessions() as session:
        names = {d.id: d.name for d in crud.list_datasets(session)}
        rows = []
        for run in list_runs(session):
            test = (run.metrics or {}).get("test", {})
            rows.append({
                "run": run.name, "dataset": names.get(run.dataset_id, "—"),
                "variant": run.variant + (f" ({run.task})" if run.task else ""),
                "modalities": run.modalities, "status": run.status,
                "progress": round(100 * (run.progress or 0)),
                **{f"test {task} micro-F1": m.get("micro_f1") for task, m in test.items()},
            })
    return rows
