"""Migrations keep data: a table rebuilt by a future SQLite batch migration does not cascade
into the rows that reference it; a database from a newer version is refused in one line; a
case-insensitive search folds more than ASCII on SQLite."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from db.engine import MIGRATIONS_DIR, SchemaMismatch, alembic_config, make_engine, migrate
from db.models import Annotation, AnnotationEvent, Annotator, Dataset, Sample
from tests.postgres import postgres_url

REBUILD_SAMPLES = '''"""a future migration that alters samples (SQLite rebuilds the table)"""
from alembic import op

revision = "9999"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("samples", recreate="always"):
        pass


def downgrade() -> None:
    pass
'''


def _labelled_database(url: str):
    engine = make_engine(url)
    migrate(engine)
    with Session(engine) as session, session.begin():
        dataset = Dataset(name="d", kind="daic")
        sample = Sample(dataset=dataset, external_id="300_1", text="i feel low")
        ann = Annotator(name="ana")
        session.add_all([dataset, sample, ann])
        session.flush()
        session.add(Annotation(sample_id=sample.id, annotator_id=ann.id, label="sad"))
        session.add(AnnotationEvent(sample_id=sample.id, annotator_id=ann.id, action="create",
                                    new_label="sad"))
    return engine


def _counts(engine) -> tuple[int, int, int]:
    with Session(engine) as session:
        return tuple(session.scalar(select(func.count()).select_from(t))
                     for t in (Sample, Annotation, AnnotationEvent))


def test_a_table_rebuilding_migration_keeps_the_rows_that_reference_it(tmp_path: Path):
    engine = _labelled_database(f"sqlite:///{tmp_path / 'amm.db'}")
    before = _counts(engine)
    scripts = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, scripts, ignore=shutil.ignore_patterns("__pycache__"))
    head = sorted(p.name for p in (scripts / "versions").glob("0*.py"))[-1].split("_")[0]
    (scripts / "versions" / "9999_rebuild_samples.py").write_text(
        REBUILD_SAMPLES.format(head=head))
    config = alembic_config(engine)
    config.set_main_option("script_location", str(scripts))
    command.upgrade(config, "head")
    assert _counts(engine) == before == (1, 1, 1)
    with engine.connect() as conn:  # the connection went back to the pool with keys on again
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()


def test_a_database_from_a_newer_version_is_refused_in_one_line(tmp_path: Path):
    engine = _labelled_database(f"sqlite:///{tmp_path / 'amm.db'}")
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0042'"))
    with pytest.raises(SchemaMismatch, match=r"revision 0042, .*written by a newer version"):
        migrate(engine)
    engine.dispose()


def test_the_cli_says_so_in_one_line(tmp_path: Path, capsys):
    from amm_core.cli import main

    engine = _labelled_database(f"sqlite:///{tmp_path / 'amm.db'}")
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0042'"))
    engine.dispose()
    assert main(["admin", "log", "--home", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "newer version" in err[0] and "Traceback" not in err[0]


def test_case_insensitive_search_folds_beyond_ascii(tmp_path: Path):
    engine = _labelled_database(f"sqlite:///{tmp_path / 'amm.db'}")
    with Session(engine) as session, session.begin():
        session.add(Sample(dataset_id=1, external_id="x", text="Ünïcödé ÉMOTION here"))
    with Session(engine) as session:
        for query in ("ünïcödé", "ÜNÏCÖDÉ", "émotion"):
            found = session.scalars(select(Sample.external_id)
                                    .where(Sample.text.icontains(query))).all()
            assert found == ["x"], query
    engine.dispose()


def test_the_dashboard_says_so_in_one_line(tmp_path: Path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    engine = _labelled_database(f"sqlite:///{tmp_path / 'amm.db'}")
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0042'"))
    engine.dispose()
    monkeypatch.setenv("AMM_HOME", str(tmp_path))
    monkeypatch.delenv("AMM_DATABASE_URL", raising=False)
    page = Path(__file__).resolve().parents[2] / "app" / "pages" / "home.py"
    at = AppTest.from_file(str(page), default_timeout=60).run()
    assert not at.exception
    assert any("written by a newer version" in e.value for e in at.error)


@pytest.mark.postgres
def test_processes_opening_a_fresh_postgresql_database_at_once_migrate_once():
    """Without the advisory lock, all but one failed on the catalogue (pg_type) race."""
    import subprocess
    import sys

    from db.engine import table_names

    url = postgres_url(fresh=True)
    engine = make_engine(url)
    code = "import sys; from db.engine import open_database; open_database(sys.argv[1])"
    root = Path(__file__).resolve().parents[2]
    procs = [subprocess.Popen([sys.executable, "-c", code, url], cwd=root,
                              stderr=subprocess.PIPE) for _ in range(4)]
    results = [(p.wait(timeout=120), p.stderr.read().decode()[-300:]) for p in procs]
    assert [code for code, _ in results] == [0, 0, 0, 0], results
    assert "samples" in table_names(engine)
    engine.dispose()


def test_a_seed_the_database_cannot_store_is_refused_while_parsing(tmp_path: Path, capsys):
    from amm_core.cli import main
    from amm_core.cli.arguments import MAX_SEED

    assert MAX_SEED == 2**31 - 1
    with pytest.raises(SystemExit) as exited:
        main(["train", "--dataset", "none", "--seed", str(2**31), "--home", str(tmp_path)])
    err = capsys.readouterr().err
    assert exited.value.code == 2 and "a seed is 0 to 2147483647" in err
    assert not (tmp_path / "amm.db").exists()  # refused before the workspace was opened


@pytest.mark.postgres
def test_the_largest_seed_is_stored_on_postgresql():

    from db.models import ModelRun

    url = postgres_url(fresh=False)
    from amm_core.cli.arguments import MAX_SEED

    engine = make_engine(url)
    migrate(engine)
    with Session(engine) as session, session.begin():
        session.add(ModelRun(name="seed-max-probe", seed=MAX_SEED))
    with Session(engine) as session, session.begin():
        run = session.scalars(select(ModelRun).where(ModelRun.name == "seed-max-probe")).one()
        assert run.seed == MAX_SEED
        session.delete(run)
    engine.dispose()
