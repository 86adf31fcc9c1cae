"""Migrations build the whole schema on a fresh database, and back down again."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from db.engine import current_revision, downgrade, make_engine, migrate, table_names
from db.models import Base
from tests.postgres import postgres_url

EXPECTED_TABLES = {
    "datasets", "samples", "annotators", "annotations", "annotation_events", "gold_labels",
    "model_runs", "predictions", "uploads", "upload_predictions", "relabel_requests",
    "audit_events",
}


def _roundtrip(url: str) -> None:
    engine = make_engine(url)
    migrate(engine)
    assert set(table_names(engine)) >= EXPECTED_TABLES
    assert current_revision(engine) is not None
    migrate(engine)  # idempotent
    downgrade(engine, "base")
    assert not (EXPECTED_TABLES & set(table_names(engine)))
    migrate(engine)
    assert set(table_names(engine)) >= EXPECTED_TABLES
    engine.dispose()


def test_fresh_sqlite_upgrades_to_head_and_down_again(tmp_path):
    _roundtrip(f"sqlite:///{tmp_path / 'amm.db'}")


def test_migrations_match_the_models(tmp_path):
    """Alembic autogenerate finds nothing to add: the models and migrations agree."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    engine = make_engine(f"sqlite:///{tmp_path / 'amm.db'}")
    migrate(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_sqlite_runs_with_wal_and_foreign_keys(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'amm.db'}")
    migrate(engine)
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


@pytest.mark.postgres
def test_same_migrations_run_on_postgresql():
    _roundtrip(postgres_url(fresh=True))


def test_processes_opening_a_fresh_workspace_at_once_migrate_once(tmp_path):
    """Several `amm` commands or dashboard sessions on a new workspace: no 'table exists' race."""
    import subprocess
    import sys
    from pathlib import Path

    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    code = "import sys; from db.engine import open_database; open_database(sys.argv[1])"
    root = Path(__file__).resolve().parents[2]
    procs = [subprocess.Popen([sys.executable, "-c", code, url], cwd=root) for _ in range(4)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0, 0]
    assert set(table_names(make_engine(url))) >= EXPECTED_TABLES
