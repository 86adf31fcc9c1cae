"""Deleting a run is all or nothing and waits for its training to end; names given to the CLI
pass the dashboard's checks; the last admin cannot step down."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from amm_core.cli.commands_admin import delete_run_with_files
from amm_core.cli.process import process_info
from amm_core.cli.storage import open_workspace
from amm_core.workspace import Settings
from tests.trust.fixtures import amm_json, save_random_run, sqlite_url, table_counts
from tests.trust.test_admin import audit, labelled_daic_home, refused


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return labelled_daic_home(tmp_path)


def _with_admin_and_run(home: Path) -> Path:
    amm_json("admin", "grant", "root", "--role", "admin", "--bootstrap", "--home", str(home))
    return save_random_run(home, dataset="daic", name="old-run")


def _set_running(home: Path, pid_info: dict) -> None:
    workspace = open_workspace(Settings.resolve(home))
    from db.models import ModelRun

    with workspace.sessions() as session, session.begin():
        run = session.query(ModelRun).filter_by(name="old-run").one()
        run.status, run.config = "running", {**run.config, "process": pid_info}
    workspace.engine.dispose()


def test_a_run_still_training_is_not_deleted(home):
    checkpoint = _with_admin_and_run(home)
    _set_running(home, process_info())  # this very process: alive
    refused(home, "admin", "delete-run", "old-run", "--actor", "root", names="still training")
    assert checkpoint.is_file()
    _set_running(home, {"pid": 2**22 + 12345, "host": os.uname().nodename, "start": 1})
    assert amm_json("admin", "delete-run", "old-run", "--actor", "root", "--home",
                    str(home))["files_removed"]  # its process is gone: a dead run goes
    assert not checkpoint.parent.exists()


def test_a_folder_that_cannot_be_moved_refuses_the_whole_deletion(home, monkeypatch):
    checkpoint = _with_admin_and_run(home)
    before = table_counts(sqlite_url(home))

    def no_rename(self, target):  # noqa: ANN001
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "rename", no_rename)
    workspace = open_workspace(Settings.resolve(home))
    with pytest.raises(ValueError, match="cannot move .* aside .*nothing was deleted"):
        delete_run_with_files(workspace, "old-run", "root")
    workspace.engine.dispose()
    assert table_counts(sqlite_url(home)) == before and checkpoint.is_file()


def test_a_failed_commit_puts_the_folder_back(home):
    checkpoint = _with_admin_and_run(home)
    before = table_counts(sqlite_url(home))

    def boom(session):  # noqa: ANN001
        raise RuntimeError("disk I/O error")

    event.listen(Session, "before_commit", boom)
    workspace = open_workspace(Settings.resolve(home))
    try:
        with pytest.raises(RuntimeError, match="disk I/O"):
            delete_run_with_files(workspace, "old-run", "root")
    finally:
        event.remove(Session, "before_commit", boom)
        workspace.engine.dispose()
    assert table_counts(sqlite_url(home)) == before
    assert checkpoint.is_file() and not list(checkpoint.parents[1].glob(".*deleting*"))


@pytest.mark.parametrize(("args", "names"), [
    (("admin", "grant", "   ", "--role", "admin", "--bootstrap"), "NAME: empty annotator"),
    (("admin", "grant", "eve\nroot", "--role", "annotator", "--bootstrap"), "line break"),
    (("admin", "grant", "x" * 150, "--role", "admin", "--bootstrap"), "150 characters"),
    (("admin", "grant", "Majority Rule", "--role", "admin", "--bootstrap"), "reserved"),
    (("annotate", "adjudicate", "--dataset", "daic", "--sample", "300_1", "--label", "sad",
      "--adjudicator", "Majority Rule"), "reserved"),
])
def test_names_the_dashboard_refuses_are_refused_by_the_cli(home, args, names):
    refused(home, *args, names=names)


def test_the_only_admin_cannot_step_down(home):
    amm_json("admin", "grant", "root", "--role", "admin", "--bootstrap", "--home", str(home))
    refused(home, "admin", "grant", "root", "--role", "annotator", "--actor", "root",
            names="only admin")
    amm_json("admin", "grant", "ada", "--role", "admin", "--actor", "root", "--home", str(home))
    assert amm_json("admin", "grant", "root", "--role", "annotator", "--actor", "ada",
                    "--home", str(home))["role"] == "annotator"
    assert [a[0] for a in audit(home)] == ["root", "root", "ada"]
