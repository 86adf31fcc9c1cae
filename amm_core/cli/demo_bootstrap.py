"""The embedded demo: generate synthetic DAIC-WOZ and MGID corpora, import them through the real
readers, then run the demo training hooks (issue 3 registers `demo-amm` there).

Used by `amm demo` and by the dashboard's first launch (with a progress display).
"""

from __future__ import annotations

import fcntl
import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from amm_core.cli.demo_training import DEMO_RUNS, demo_training_steps
from amm_core.cli.storage import Workspace, store_import
from amm_core.data.daic import read_daic
from amm_core.data.demo import write_demo_corpora
from amm_core.data.mgid import read_mgid
from db import crud

DEMO_DATASETS = ("demo-mgid", "demo-daic")

Progress = Callable[[float, str], None]
NO_DEMO_TRAINING_ENV = "AMM_DEMO_NO_TRAINING"  # corpora only (fast tests of the import path)


def demo_present(workspace: Workspace) -> bool:
    """The demo datasets exist and, unless training is switched off, so do completed demo runs."""
    with workspace.sessions() as session:
        if any(crud.get_dataset(session, name) is None for name in DEMO_DATASETS):
            return False
        if os.environ.get(NO_DEMO_TRAINING_ENV):
            return True
        runs = [crud.get_run(session, name) for name, _, _ in DEMO_RUNS]
        return all(run is not None and run.status == "completed" for run in runs)


@contextmanager
def _demo_lock(workspace: Workspace) -> Iterator[None]:
    """One builder at a time: two browser tabs opening a fresh workspace build the demo once."""
    workspace.settings.home.mkdir(parents=True, exist_ok=True)
    with open(workspace.settings.home / ".demo.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _present(workspace: Workspace) -> dict[str, Any]:
    """The same `datasets` and `runs` shape as a fresh build, read from the database (a script
    reading `amm demo --json` sees one shape whether the demo was built now or before)."""
    datasets: dict[str, Any] = {}
    with workspace.sessions() as session:
        for name in DEMO_DATASETS:
            found = crud.get_dataset(session, name)
            splits: dict[str, int] = {}
            for row in crud.label_counts(session, found) if found else []:
                key = str(row["split"])
                splits[key] = splits.get(key, 0) + row["count"]
            datasets[name] = {"samples": sum(splits.values()), "splits": splits}
        runs = [{"run": name, "status": run.status}
                for name, _, _ in DEMO_RUNS if (run := crud.get_run(session, name))]
    return {"datasets": datasets, "runs": runs}


def bootstrap_demo(
    workspace: Workspace, *, force: bool = False, progress: Progress | None = None
) -> dict[str, Any]:
    """Build the demo unless it is already there (or `force`). Returns what was done."""
    with _demo_lock(workspace):
        return _build(workspace, force, progress or (lambda fraction, message: None))


def _build(workspace: Workspace, force: bool, report: Progress) -> dict[str, Any]:
    started = time.perf_counter()
    if demo_present(workspace) and not force:
        report(1.0, "demo already present")
        return {"demo": "present", **_present(workspace),
                "seconds": round(time.perf_counter() - started, 2)}
    demo_dir = workspace.settings.demo_dir
    if demo_dir.exists():
        shutil.rmtree(demo_dir)
    report(0.02, "generating synthetic MGID and DAIC-WOZ corpora")
    paths = write_demo_corpora(demo_dir)
    report(0.08, "importing demo-mgid through the MGID reader")
    mgid = read_mgid(paths.mgid_csv_dir, images_dir=paths.mgid_images_dir)
    imported = {"demo-mgid": store_import(workspace, mgid, "demo-mgid", synthetic=True)}
    report(0.12, "importing demo-daic through the DAIC-WOZ reader")
    daic = read_daic(paths.daic_root, labels_dir=paths.daic_labels_dir)
    imported["demo-daic"] = store_import(workspace, daic, "demo-daic", synthetic=True)
    runs = []
    steps = [] if os.environ.get(NO_DEMO_TRAINING_ENV) else demo_training_steps()
    for index, step in enumerate(steps):
        runs.append(step(workspace, report, 0.15 + 0.85 * index / len(steps), 0.85 / len(steps)))
    report(1.0, "demo ready")
    return {
        "demo": "built",
        "datasets": {name: {"samples": s["samples"], "splits": s["splits"]}
                     for name, s in imported.items()},
        "runs": runs,
        "seconds": round(time.perf_counter() - started, 2),
    }
