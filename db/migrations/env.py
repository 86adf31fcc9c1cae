"""Alembic environment: the engine comes from `db.engine.alembic_config` (no alembic.ini needed)."""

from __future__ import annotations

from alembic import context

from db.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    engine = config.attributes.get("engine")
    if engine is None:
        from sqlalchemy import create_engine

        engine = create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            _foreign_keys(connection, on=False)
        try:
            context.configure(connection=connection, target_metadata=target_metadata,
                              render_as_batch=sqlite)
            with context.begin_transaction():
                context.run_migrations()
                if sqlite:
                    _check_foreign_keys(connection)
            connection.commit()
        finally:
            if sqlite:
                _foreign_keys(connection, on=True)


def _foreign_keys(connection, on: bool) -> None:  # noqa: ANN001
    """SQLite: foreign keys off while migrating. A batch migration rebuilds a table (copy, drop,
    rename); with foreign keys on, the drop would cascade into every table that references it
    and silently delete their rows (labels, events, predictions). The pragma has no effect
    inside a transaction, so it is set before the migration's transaction begins and restored
    after (the connection goes back to the pool)."""
    connection.exec_driver_sql(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


def _check_foreign_keys(connection) -> None:  # noqa: ANN001
    """Refuse (and roll back) a migration that leaves a row pointing at nothing."""
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"migration left {len(broken)} row(s) with a broken foreign key, "
                           f"e.g. {tuple(broken[0])}")


run_migrations_online()
