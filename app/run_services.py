"""Services of the Runs page: every run with its metrics, starting `amm train` as a background
process, its live progress, cooperative cancelling, and telling a run whose process died.

A run started here is the real `amm train ... --json` in a detached process; its output goes to
`runs/<name>/train.log` and `runs/<name>/launch.json` records the command and pid until the run's
own row (which also records its process) exists in the database.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import update

from amm_core.cli.arguments import MAX_SEED
from amm_core.cli.process import process_alive, process_start
from amm_core.cli.storage import Workspace
from db import crud
from db import runs as db_runs
from db.models import ModelRun, utcnow

ACTIVE_STATUSES = ("running", "cancelling")
CANCEL_REQUESTED = "cancelling"  # = amm_core.cli.training.CANCEL_REQUESTED (a test checks)
LAUNCH_FILE, LOG_FILE = "launch.json", "train.log"
RUN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
TASK_SPLITS = (("dev", "depression"), ("test", "depression"), ("dev", "emotion"),
               ("test", "emotion"))


@dataclass
class TrainForm:
    """What the page asks for; mirrors the options of `amm train`."""

    dataset: str
    name: str
    variant: str = "amm"
    task: str | None = None
    modalities: str = "text+image"
    epochs: int | None = None
    seed: int = 0
    device: str = "auto"


@dataclass
class Launch:
    name: str
    dataset: str
    variant: str
    pid: int
    host: str
    command: list[str]
    log: str
    started_at: str
    start: int | None = None  # process start (clock ticks since boot): a recycled pid differs


def variants() -> list[str]:
    from amm_core.model.variants import VARIANTS  # torch: imported only when the page needs it

    return list(VARIANTS)


def dataset_names(workspace: Workspace) -> list[str]:
    with workspace.sessions() as session:
        return [d.name for d in crud.list_datasets(session)]


def suggested_name(form: TrainForm) -> str:
    task = f"-{form.task}" if form.task else ""
    return f"{form.dataset}-{form.variant}{task}-{form.modalities.replace('+', '-')}-s{form.seed}"


def validate(workspace: Workspace, form: TrainForm) -> None:
    """Raise ValueError (one line) when `amm train` would refuse the form or the name is taken."""
    from amm_core.config import MODALITIES, TASKS

    if form.dataset not in dataset_names(workspace):
        raise ValueError(f"unknown dataset '{form.dataset}'")
    if form.variant not in variants():
        raise ValueError(f"unknown variant '{form.variant}' (valid: {', '.join(variants())})")
    if form.modalities not in MODALITIES:
        raise ValueError(f"unknown modalities '{form.modalities}'")
    if form.task is not None and form.task not in TASKS:
        raise ValueError(f"unknown task '{form.task}' (valid: {', '.join(TASKS)})")
    if form.variant == "stl" and form.task is None:
        raise ValueError("the single-task variant 'stl' needs a task: depression or emotion")
    if form.epochs is not None and form.epochs < 1:
        raise ValueError(f"epochs must be at least 1, not {form.epochs}")
    if not 0 <= form.seed <= MAX_SEED:
        raise ValueError(f"a seed is 0 to {MAX_SEED}, not {form.seed}")
    if not RUN_NAME.fullmatch(form.name):
        raise ValueError(f"run name '{form.name}' must be letters, digits, '.', '_' or '-' "
                         "(starting with a letter or digit, at most 100)")
    with workspace.sessions() as session:
        if crud.get_run(session, form.name) is not None:
            raise ValueError(f"a run named '{form.name}' already exists; choose another name")
    launch = read_launch(workspace, form.name)
    if launch is not None and _alive(launch.pid, launch.host, launch.start):
        raise ValueError(f"a run named '{form.name}' is already starting")


def train_command(workspace: Workspace, form: TrainForm) -> list[str]:
    """The `amm train` argument list (never a shell string)."""
    command = [sys.executable, "-m", "amm_core.cli", "train", f"--dataset={form.dataset}",
               f"--variant={form.variant}", f"--modalities={form.modalities}",
               f"--seed={form.seed}", f"--name={form.name}", f"--device={form.device}",
               f"--home={workspace.settings.home}", "--json"]
    if form.task:
        command.append(f"--task={form.task}")
    if form.epochs is not None:
        command.append(f"--epochs={form.epochs}")
    return command


def start_training(workspace: Workspace, form: TrainForm) -> Launch:
    """Validate, then start `amm train` detached; ValueError (nothing started) when invalid."""
    validate(workspace, form)
    run_dir = workspace.settings.runs_dir / form.name
    run_dir.mkdir(parents=True, exist_ok=True)
    command = train_command(workspace, form)
    with open(run_dir / LOG_FILE, "ab") as log:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                   env=_child_env(workspace), cwd=workspace.settings.home,
                                   start_new_session=True)
    # Reap the child when it ends, so that a finished process is not mistaken for a live one.
    threading.Thread(target=process.wait, daemon=True, name=f"amm-train-{form.name}").start()
    launch = Launch(name=form.name, dataset=form.dataset, variant=form.variant, pid=process.pid,
                    host=socket.gethostname(), command=command, log=str(run_dir / LOG_FILE),
                    started_at=utcnow().isoformat(), start=process_start(process.pid))
    (run_dir / LAUNCH_FILE).write_text(json.dumps(asdict(launch), indent=2), encoding="utf-8")
    return launch


def _child_env(workspace: Workspace) -> dict[str, str]:
    """This workspace's database, and this checkout importable whatever the install."""
    import amm_core

    env = dict(os.environ)
    env["AMM_DATABASE_URL"] = workspace.settings.database_url
    source_root = str(Path(amm_core.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (source_root, env.get("PYTHONPATH")) if p)
    return env


def read_launch(workspace: Workspace, name: str) -> Launch | None:
    path = workspace.settings.runs_dir / name / LAUNCH_FILE
    try:
        return Launch(**json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None


def _alive(pid: int | None, host: str | None, start: int | None = None) -> bool:
    return process_alive(pid, host, start)


def mark_dead_runs(workspace: Workspace) -> list[str]:
    """Runs still 'running' whose recorded process has gone become 'failed'; returns them."""
    with workspace.sessions() as session:
        suspects = [(r.id, r.name, (r.config or {}).get("process") or {})
                    for r in db_runs.list_runs(session) if r.status in ACTIVE_STATUSES]
    dead = [(run_id, name, info) for run_id, name, info in suspects
            if info.get("pid")
            and not _alive(info.get("pid"), info.get("host"), info.get("start"))]
    marked = []
    for run_id, name, info in dead:
        message = (f"the training process (pid {info['pid']}) stopped without finishing; "
                   f"see runs/{name}/{LOG_FILE}")
        with workspace.sessions() as session, session.begin():
            # Only if it is still active: the process may have finished the run as we looked.
            result = session.execute(
                update(ModelRun).where(ModelRun.id == run_id,
                                       ModelRun.status.in_(ACTIVE_STATUSES))
                .values(status="failed", message=message, finished_at=utcnow()))
        if result.rowcount:
            marked.append(name)
    return marked


def _metric_columns(metrics: dict[str, Any]) -> dict[str, float | None]:
    columns: dict[str, float | None] = {}
    for split, task in TASK_SPLITS:
        found = (metrics.get(split) or {}).get(task) or {}
        columns[f"{split} {task} micro-F1"] = found.get("micro_f1")
        if split == "test":
            columns[f"{split} {task} macro-F1"] = found.get("macro_f1")
    return columns


def run_rows(workspace: Workspace) -> list[dict[str, Any]]:
    """One row per run (newest first), runs still starting included; dead processes shown
    as failed."""
    mark_dead_runs(workspace)
    with workspace.sessions() as session:
        names = {d.id: d.name for d in crud.list_datasets(session)}
        runs = db_runs.list_runs(session)
    rows = [{
        "run": r.name, "dataset": names.get(r.dataset_id, "—"), "variant": r.variant,
        "task": r.task or "both", "modalities": r.modalities, "seed": r.seed,
        "status": r.status, "progress": round(100 * (r.progress or 0)),
        **_metric_columns(dict(r.metrics or {})), "device": r.device,
        "created": _when(r.created_at), "finished": _when(r.finished_at), "message": r.message,
    } for r in runs]
    return starting_rows(workspace, {r.name for r in runs}) + rows


def _when(moment: datetime | None) -> str | None:
    """UTC minute, the same for SQLite's naive and PostgreSQL's aware timestamps."""
    return None if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S")


def starting_rows(workspace: Workspace, known: set[str]) -> list[dict[str, Any]]:
    """Launches from this page whose run row does not exist yet (loading data, features)."""
    rows = []
    for path in sorted(workspace.settings.runs_dir.glob(f"*/{LAUNCH_FILE}")):
        launch = read_launch(workspace, path.parent.name)
        if launch is None or launch.name in known:
            continue
        alive = _alive(launch.pid, launch.host, launch.start)
        rows.append({"run": launch.name, "dataset": launch.dataset, "variant": launch.variant,
                     "status": "starting" if alive else "failed", "progress": 0,
                     "created": _when(datetime.fromisoformat(launch.started_at)),
                     "message": "preparing data" if alive else log_tail(workspace, launch.name, 1)})
    return rows


def active_runs(workspace: Workspace) -> list[dict[str, Any]]:
    """Runs in progress for the live progress bars: name, status, progress (0..1), message."""
    return [{"run": r["run"], "status": r["status"], "progress": (r["progress"] or 0) / 100,
             "message": r.get("message") or ""}
            for r in run_rows(workspace) if r["status"] in (*ACTIVE_STATUSES, "starting")]


def request_cancel(workspace: Workspace, name: str) -> str:
    """Ask a running run to stop after its current epoch; returns a line for the user."""
    with workspace.sessions() as session, session.begin():
        result = session.execute(
            update(ModelRun).where(ModelRun.name == name, ModelRun.status == "running")
            .values(status=CANCEL_REQUESTED, message="cancel requested; stopping after this epoch"))
    if result.rowcount:
        return f"Cancelling '{name}': it stops after the current epoch."
    return f"Run '{name}' is not running (nothing to cancel)."


def log_tail(workspace: Workspace, name: str, lines: int = 30) -> str:
    path = workspace.settings.runs_dir / name / LOG_FILE
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.strip().splitlines()[-lines:])


def runs_with_logs(workspace: Workspace) -> list[str]:
    return sorted(p.parent.name for p in workspace.settings.runs_dir.glob(f"*/{LOG_FILE}"))
