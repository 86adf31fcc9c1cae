"""Wiring from amm_core readers to the database: open a workspace, store an import atomically.

Also used by `app.services`, so the dashboard and the `amm` command store data the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session

from amm_core.data.records import ImportResult
from amm_core.workspace import DATABASE_URL_ENV, Settings
from db import crud
from db.engine import SchemaMismatch as SchemaMismatch  # re-exported for the CLI
from db.engine import open_database


@dataclass
class Workspace:
    settings: Settings
    engine: Engine
    sessions: Callable[[], Session]


class WorkspaceError(RuntimeError):
    """The workspace folder or the database URL cannot be used; the message is one line."""


def open_workspace(settings: Settings) -> Workspace:
    """Create the folders if needed and open (and migrate) the database; WorkspaceError (one
    line) when the folder cannot be made or $AMM_DATABASE_URL is no database URL."""
    try:
        settings.ensure()
    except OSError as exc:
        raise WorkspaceError(f"workspace folder {settings.home}: cannot use it "
                             f"({exc.strerror or exc})") from exc
    try:
        engine, sessions = open_database(settings.database_url)
    except ArgumentError as exc:
        raise WorkspaceError(f"the database URL (${DATABASE_URL_ENV}) is not one SQLAlchemy "
                             f"can read: {str(exc).splitlines()[0]}") from exc
    return Workspace(settings=settings, engine=engine, sessions=sessions)


def store_import(
    workspace: Workspace, result: ImportResult, name: str, *, synthetic: bool = False
) -> dict[str, Any]:
    """Upsert the dataset and all its samples in one transaction; return the JSON summary.

    Either everything is written or nothing is (a failure rolls the transaction back).
    """
    with workspace.sessions() as session, session.begin():
        dataset = crud.upsert_dataset(
            session,
            name,
            kind=result.kind,
            source_path=result.source,
            label_sets=result.label_sets,
            summary=result.summary,
            synthetic=synthetic,
        )
        counts = crud.upsert_samples(session, dataset, (s.as_row() for s in result.samples))
    return {
        "dataset": name,
        "kind": result.kind,
        "samples": len(result.samples),
        "splits": result.split_counts(),
        "inserted": counts.inserted,
        "updated": counts.updated,
        "unchanged": counts.unchanged,
        "not_in_source": counts.not_in_source,
        **result.summary,
    }
