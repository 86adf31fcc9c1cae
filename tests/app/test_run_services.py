"""Runs started from the dashboard for real: `amm train` in the background, its progress in the
database, a cooperative cancel, and a run whose process died shown as failed."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from amm_core.cli import main, training
from amm_core.cli.storage import open_workspace
from amm_core.data.demo_mgid import write_mgid_demo
from amm_core.workspace import Settings
from app import run_services as svc
from db import crud
from db import runs as db_runs


@pytest.fixture
def tiny_workspace(tmp_path: Path):
    write_mgid_demo(tmp_path / "mgid", tmp_path / "images", seed=5, n_posts=30)
    home = tmp_path / "home"
    assert main(["import", "mgid", "--csv-dir", str(tmp_path / "mgid"), "--images",
                 str(tmp_path / "images"), "--name", "tiny", "--home", str(home)]) == 0
    return open_workspace(Settings.resolve(home, env={}))


def _run(workspace, name: str):
    with workspace.sessions() as session:
        return crud.get_run(session, name)


def _wait(predicate, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_background_run_reports_progress_and_cancels_cleanly(tiny_workspace):
    form = svc.TrainForm(dataset="tiny", name="bg", epochs=80)
    launch = svc.start_training(tiny_workspace, form)
    try:
        assert launch.command[1:4] == ["-m", "amm_core.cli", "train"]
        assert (tiny_workspace.settings.runs_dir / "bg" / svc.LAUNCH_FILE).exists()
        running = _wait(lambda: (r := _run(tiny_workspace, "bg")) is not None
                        and r.status == "running" and r.progress > 0 and r, 240,
                        "the first epoch")
        assert running.config["process"]["pid"] == launch.pid
        assert [a["run"] for a in svc.active_runs(tiny_workspace)] == ["bg"]
        assert "Cancelling" in svc.request_cancel(tiny_workspace, "bg")
        done = _wait(lambda: (r := _run(tiny_workspace, "bg")).status not in svc.ACTIVE_STATUSES
                     and r, 120, "the run to stop")
    finally:
        _stop(launch.pid)
    assert done.status == "cancelled"
    assert done.message.startswith("cancelled by request")
    assert int(done.message.rsplit(" ", 1)[1]) < 80  # stopped well before the last epoch
    assert running.progress < done.progress < 1 and done.checkpoint_path  # the share it did
    assert svc.active_runs(tiny_workspace) == []
    assert "Cancelling" not in svc.request_cancel(tiny_workspace, "bg")
    assert '"status": "cancelled"' in svc.log_tail(tiny_workspace, "bg")


def _stop(pid: int) -> None:
    """Only the process this test started, should an assertion leave it running."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)


def test_invalid_forms_start_nothing(tiny_workspace):
    cases = [
        (svc.TrainForm(dataset="nope", name="x"), "unknown dataset 'nope'"),
        (svc.TrainForm(dataset="tiny", name="x", variant="bert"), "unknown variant 'bert'"),
        (svc.TrainForm(dataset="tiny", name="x", variant="stl"), "needs a task"),
        (svc.TrainForm(dataset="tiny", name="../x"), "must be letters"),
        (svc.TrainForm(dataset="tiny", name="x", epochs=0), "at least 1"),
        (svc.TrainForm(dataset="tiny", name="x", seed=-1), "a seed is 0 to"),
        (svc.TrainForm(dataset="tiny", name="x", seed=2**31), "a seed is 0 to"),
    ]
    for form, message in cases:
        with pytest.raises(ValueError, match=message):
            svc.start_training(tiny_workspace, form)
    with tiny_workspace.sessions() as session, session.begin():
        db_runs.create_run(session, "taken", dataset_id=None)
    with pytest.raises(ValueError, match="already exists"):
        svc.start_training(tiny_workspace, svc.TrainForm(dataset="tiny", name="taken"))
    assert list(tiny_workspace.settings.runs_dir.iterdir()) == []


def test_a_run_whose_process_died_is_shown_failed(tiny_workspace):
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    process = {"pid": gone.pid, "host": socket.gethostname()}
    with tiny_workspace.sessions() as session, session.begin():
        db_runs.create_run(session, "orphan", config={"process": process})
        db_runs.create_run(session, "elsewhere", config={"process": {**process, "host": "x"}})
    rows = {r["run"]: r for r in svc.run_rows(tiny_workspace)}
    assert rows["orphan"]["status"] == "failed"
    assert f"pid {gone.pid}" in rows["orphan"]["message"]
    assert rows["elsewhere"]["status"] == "running"  # another machine's process: unknown


def test_a_run_whose_pid_now_belongs_to_another_process_is_shown_failed(tiny_workspace):
    """The recorded pid is alive (it is this test's), but it started at another time: the
    training process is gone and the system gave its pid to a later one."""
    from amm_core.cli.process import process_info

    me = process_info()
    assert me["start"] is not None
    with tiny_workspace.sessions() as session, session.begin():
        earlier = {**me, "start": me["start"] - 1}
        db_runs.create_run(session, "recycled", config={"process": earlier})
        db_runs.create_run(session, "still-here", config={"process": me})
        db_runs.create_run(session, "older-record", config={"process": {
            "pid": me["pid"], "host": me["host"]}})  # written before start times were stored
    rows = {r["run"]: r for r in svc.run_rows(tiny_workspace)}
    assert rows["recycled"]["status"] == "failed"
    assert rows["still-here"]["status"] == "running"
    assert rows["older-record"]["status"] == "running"


def test_cancel_status_is_the_one_training_checks():
    assert svc.CANCEL_REQUESTED == training.CANCEL_REQUESTED
