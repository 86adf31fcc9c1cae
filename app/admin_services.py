"""Services of the Admin page: people and roles, the audit log, and the audited destructive
actions. Every action checks the actor's admin role in `db.admin` (not only in the page) and
raises ValueError with one line when refused; nothing is written then."""

from __future__ import annotations

from typing import Any

from amm_core.cli.commands_admin import delete_run_with_files
from amm_core.cli.storage import Workspace
from app import annotation_checks as checks
from db import admin
from db import annotations as store

DELETE_KINDS = ("dataset", "run", "labels")


def people(workspace: Workspace) -> list[dict[str, Any]]:
    with workspace.sessions() as session:
        return admin.people(session)


def audit_log(workspace: Workspace, limit: int = 200) -> list[dict[str, Any]]:
    with workspace.sessions() as session:
        return admin.audit_log(session, limit)


def has_admin(workspace: Workspace) -> bool:
    with workspace.sessions() as session:
        return admin.admin_exists(session)


def is_admin(workspace: Workspace, name: str) -> bool:
    with workspace.sessions() as session:
        person = admin.find_person(session, name) if name.strip() else None
        return person is not None and person.role == "admin"


def grant(workspace: Workspace, name: str, role: str, actor: str,
          bootstrap: bool = False) -> None:
    name = checks.person_name(name)

    def work() -> None:
        with workspace.sessions() as session, session.begin():
            admin.grant_role(session, name, role, actor, bootstrap=bootstrap)

    store.retry_conflicts(work)


def delete_targets(workspace: Workspace, kind: str) -> list[str]:
    """What can be deleted of `kind`: dataset names, run names, or annotators with labels."""
    from db import crud
    from db import runs as db_runs

    with workspace.sessions() as session:
        if kind == "dataset":
            return [d.name for d in crud.list_datasets(session)]
        if kind == "run":
            return [r.name for r in db_runs.list_runs(session)]
        return [p["name"] for p in admin.people(session) if p["labels"]]


def delete(workspace: Workspace, kind: str, target: str, actor: str) -> dict[str, Any]:
    """Delete a dataset, a run (and its files) or a person's labels, as `actor` (an admin)."""
    action = {"dataset": admin.delete_dataset, "run": admin.delete_run,
              "labels": admin.delete_labels}.get(kind)
    if action is None:
        raise ValueError(f"unknown kind '{kind}' (valid: {', '.join(DELETE_KINDS)})")
    if kind == "run":  # row, predictions and files all or nothing (see there)
        return delete_run_with_files(workspace, target, actor)

    def work() -> dict[str, Any]:
        with workspace.sessions() as session, session.begin():
            return action(session, target, actor)

    return store.retry_conflicts(work)
