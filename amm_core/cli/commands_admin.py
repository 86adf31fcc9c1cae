"""`amm admin grant | delete-dataset | delete-run | delete-labels | log`: roles and destructive
actions. Each needs an admin (`--actor`) and is written to the audit log."""

from __future__ import annotations

import argparse
import os
import shutil
from pathlib import Path
from typing import Any

from sqlalchemy import select

from amm_core.cli.arguments import positive_int
from amm_core.cli.output import CommandError, Output
from amm_core.cli.process import process_alive
from amm_core.cli.storage import Workspace, open_workspace
from amm_core.workspace import Settings
from db import admin
from db.models import ANNOTATOR_ROLES, ModelRun


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = commands.add_parser("admin", help="roles and audited destructive actions")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    grant = actions.add_parser("grant", parents=[common], help="give a person a role")
    grant.add_argument("name")
    grant.add_argument("--role", required=True, choices=ANNOTATOR_ROLES)
    who = grant.add_mutually_exclusive_group(required=True)
    who.add_argument("--actor", help="the admin granting it")
    who.add_argument("--bootstrap", action="store_true",
                     help="make NAME the first admin (only while there is none)")
    grant.set_defaults(handler=run_grant)

    for action, helptext in (
        ("delete-dataset", "delete a dataset with its samples and labels"),
        ("delete-run", "delete a run, its predictions and its checkpoints"),
        ("delete-labels", "delete every current label of one person"),
    ):
        sub = actions.add_parser(action, parents=[common], help=helptext)
        if action == "delete-labels":
            sub.add_argument("--annotator", required=True)
        else:
            sub.add_argument("name")
        sub.add_argument("--actor", required=True, help="the admin doing it")
        sub.set_defaults(handler=run_delete, kind=action)

    log = actions.add_parser("log", parents=[common], help="the audit log, newest first")
    log.add_argument("--limit", type=positive_int, default=50)
    log.set_defaults(handler=run_log)


def _in_transaction(args: argparse.Namespace, work):
    workspace = open_workspace(Settings.resolve(args.home))
    try:
        with workspace.sessions() as session, session.begin():
            return workspace, work(session)
    except ValueError as exc:  # PermissionDenied, unknown names: nothing was written
        raise CommandError(str(exc)) from exc


def _checked_names(*names: tuple[str, str | None]) -> None:
    """The name checks of the dashboard and of label imports (blank, over 100 characters,
    line breaks, the reserved system name): CommandError naming the flag."""
    from annotations.interop import annotator_name_problem

    for flag, name in names:
        problem = annotator_name_problem(name) if name is not None else None
        if problem:
            raise CommandError(f"{flag}: {problem}")


def run_grant(args: argparse.Namespace, out: Output) -> dict[str, Any]:
    _checked_names(("NAME", args.name), ("--actor", args.actor))

    def work(session):
        person = admin.grant_role(session, args.name, args.role, args.actor or args.name,
                                  bootstrap=args.bootstrap)
        return {"name": person.name, "role": person.role}

    return _in_transaction(args, work)[1]


def run_delete(args: argparse.Namespace, out: Output) -> dict[str, Any]:
    if args.kind == "delete-dataset":
        return _in_transaction(args, lambda s: admin.delete_dataset(s, args.name, args.actor))[1]
    if args.kind == "delete-labels":
        return _in_transaction(args,
                               lambda s: admin.delete_labels(s, args.annotator, args.actor))[1]
    workspace = open_workspace(Settings.resolve(args.home))
    try:
        return delete_run_with_files(workspace, args.name, args.actor)
    except ValueError as exc:
        raise CommandError(str(exc)) from exc


def delete_run_with_files(workspace: Workspace, name: str, actor: str) -> dict[str, Any]:
    """Delete a run's row, predictions and folder (`runs/<name>/`), all or nothing.

    Refused (ValueError, nothing changed) while the run's process is still training: its next
    write would fail on the missing row and its checkpoint writes would race the removal.
    The folder is renamed aside *before* the row's deletion commits (a folder that cannot be
    moved refuses the whole deletion), put back if the commit fails, and removed after it; a
    removal that fails then leaves only that hidden folder, named in the result and swept by
    the next deletion. So the row and the checkpoints never outlive one another, and a later
    run of the same name cannot resume from the deleted one's `last.pt`."""
    runs_dir = workspace.settings.runs_dir
    _sweep_aside(runs_dir)
    aside: Path | None = None
    with workspace.sessions() as session:
        try:
            with session.begin():
                _refuse_if_training(session, name)
                result = admin.delete_run(session, name, actor)
                aside = _move_aside(runs_dir, name)
        except BaseException:
            if aside is not None:
                aside.rename(runs_dir / name)
            raise
    result["files_removed"] = aside is not None
    if aside is not None:
        shutil.rmtree(aside, ignore_errors=True)
        if aside.exists():
            result["files_left"] = str(aside)
    return result


def _refuse_if_training(session, name: str) -> None:  # noqa: ANN001
    run = session.scalars(select(ModelRun).where(ModelRun.name == name)).one_or_none()
    if run is None or run.status not in ("running", "cancelling"):
        return
    info = (run.config or {}).get("process") or {}
    if process_alive(info.get("pid"), info.get("host"), info.get("start")):
        raise ValueError(f"run '{name}' is still training (pid {info.get('pid', '?')}): cancel "
                         "it on the Runs page, or wait for it to end, then delete it")


def _move_aside(runs_dir: Path, name: str) -> Path | None:
    """Rename `runs/<name>/` to a hidden sibling; None when there is no such folder. Never
    anything outside `runs/`. OSError (e.g. permissions) propagates: the deletion is refused."""
    folder = (runs_dir / name).resolve()
    if runs_dir.resolve() not in folder.parents or not folder.is_dir():
        return None
    aside = runs_dir / f".{name}.deleting-{os.getpid()}"
    try:
        folder.rename(aside)
    except OSError as exc:
        raise ValueError(f"cannot move {folder} aside ({exc.strerror}); nothing was "
                         "deleted") from exc
    return aside


def _sweep_aside(runs_dir: Path) -> None:
    """Finish removals that an earlier deletion could not complete."""
    for leftover in runs_dir.glob(".*.deleting-*") if runs_dir.is_dir() else ():
        shutil.rmtree(leftover, ignore_errors=True)


def run_log(args: argparse.Namespace, out: Output) -> dict[str, Any]:
    workspace = open_workspace(Settings.resolve(args.home))
    with workspace.sessions() as session:
        return {"events": admin.audit_log(session, args.limit)}
