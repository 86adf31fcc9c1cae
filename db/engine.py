"""Engine and session factory; migrations to head are applied when a database is opened.

Choices: on SQLite, `lower()` is replaced on every connection by Python's Unicode-aware
lower-casing (SQLite's own folds ASCII only), so a case-insensitive search for "ünïcödé" finds
"Ünïcödé" as PostgreSQL's ILIKE does; no index of the schema uses lower(). Migrations are
serialised across processes (a lock file next to a SQLite database, an advisory lock on
PostgreSQL), and a database written by a newer AMM Studio is refused in one line."""

from __future__ import annotations

import fcntl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000
_PG_MIGRATION_LOCK = 0x616D6D5F6D6967  # an arbitrary advisory-lock key ("amm_mig")


class SchemaMismatch(RuntimeError):
    """The database's schema revision is not one this version knows (written by a newer one)."""


def _unicode_lower(value):  # noqa: ANN001, ANN202 - SQLite passes any SQL value
    return value.lower() if isinstance(value, str) else value


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # noqa: ANN001 - DBAPI types are untyped
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
    dbapi_conn.create_function("lower", 1, _unicode_lower, deterministic=True)


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite gets WAL, foreign keys and a busy timeout on every connection."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    """Serialise migrations across processes (several `amm` commands or dashboard sessions
    opening a fresh workspace at once): a lock file beside a SQLite file, a session-level
    advisory lock on PostgreSQL (DDL there is transactional, but two processes creating the
    same tables at once collide on the catalogue)."""
    backend = engine.url.get_backend_name()
    if backend == "postgresql":
        with engine.connect() as conn:
            conn.exec_driver_sql(f"SELECT pg_advisory_lock({_PG_MIGRATION_LOCK})")
            conn.commit()
            try:
                yield
            finally:
                conn.exec_driver_sql(f"SELECT pg_advisory_unlock({_PG_MIGRATION_LOCK})")
                conn.commit()
        return
    database = engine.url.database if backend == "sqlite" else None
    if not database or database == ":memory:":
        yield
        return
    with open(f"{database}.migrate.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def migrate(engine: Engine, revision: str = "head") -> None:
    """Upgrade the schema to `revision`: idempotent, and one process at a time."""
    config = alembic_config(engine)
    scripts = ScriptDirectory.from_config(config)
    with _migration_lock(engine):
        current = current_revision(engine)
        _check_known(engine, current, scripts)
        if revision == "head" and current == scripts.get_current_head():
            return
        command.upgrade(config, revision)


def _check_known(engine: Engine, current: str | None, scripts: ScriptDirectory) -> None:
    """SchemaMismatch when the database is at a revision this version has no script for."""
    if current is None:
        return
    if current not in {s.revision for s in scripts.walk_revisions()}:
        raise SchemaMismatch(
            f"the database {engine.url.render_as_string(hide_password=True)} is at schema "
            f"revision {current}, which this AMM Studio does not know (it knows up to "
            f"{scripts.get_current_head()}): it was written by a newer version; upgrade AMM "
            "Studio, or use another workspace")


def downgrade(engine: Engine, revision: str) -> None:
    command.downgrade(alembic_config(engine), revision)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def table_names(engine: Engine) -> list[str]:
    return sorted(inspect(engine).get_table_names())


def open_database(url: str) -> tuple[Engine, Callable[[], Session]]:
    """Engine + session factory for `url`, migrated to head."""
    engine = make_engine(url)
    migrate(engine)
    return engine, sessionmaker(engine, expire_on_commit=False)
