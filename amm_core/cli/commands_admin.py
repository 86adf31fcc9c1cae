"""`amm admin grant | delete-dataset | delete-run | delete-labels | log`: roles and destructive
actions. Each needs an admin (`--actor`) and is written to the audit log."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path
from typing import Any

from amm_core.cli.output import CommandError, Output
from amm_core.cli.storage import open_workspace
from amm_core.workspace import Settings
from db import admin
from db.models import ANNOTATOR_ROLES


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
    log.add_argument("--limit", type=int, default=50)
    log.set_defaults(handler=run_log)


def _in_transaction(args: argparse.Namespace, work):
    workspace = open_workspace(Settings.resolve(args.home))
    try:
        with workspace.sessions() as session, session.begin():
            return workspace, work(session)
    except ValueError as exc:  # PermissionDenied, unknown names: nothing was written
        raise CommandError(str(exc)) from exc


def run_grant(args: argparse.Namespace, out: Output) -> dict[str, Any]:
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
    workspace, result = _in_transaction(args, lambda s: admin.delete_run(s, args.name, args.actor))
    result["files_removed"] = remove_run_folder(workspace.settings.runs_dir, args.name)
    return result


def remove_run_folder(runs_dir: Path, name: str) -> bool:
    """Delete `runs/<name>/` (checkpoints, logs); never anything outside `runs/`."""
    folder = (runs_dir / name).resolve()
    inside = runs_dir.resolve() in folder.parents
    if inside and folder.is_dir():
        shutil.rmtree(folder)
        return True
    return False


def run_log(args: argparse.Namespace, out: Output) -> dict[str, Any]:
    workspace = open_workspace(Settings.resolve(args.home))
    with workspace.sessions() as session:
        return {"events": admin.audit_log(session, args.limit)}
