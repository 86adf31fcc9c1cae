"""Shared pieces of the trust tests: row counts of every table, a small imported workspace with
an untrained (random-weight) run, and bad files written in the real formats."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, inspect, text

from amm_core.cli import main

MGID_NAME = "small"
RUN_NAME = "random-amm"


def table_counts(url: str) -> dict[str, int]:
    """Rows in every table of the database at `url` (found with SQLAlchemy's inspector)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            names = inspect(conn).get_table_names()
            return {n: conn.execute(text(f'SELECT COUNT(*) FROM "{n}"')).scalar() for n in names}
    finally:
        engine.dispose()


def sqlite_url(home: Path) -> str:
    return f"sqlite:///{home / 'amm.db'}"


def amm(*args: str) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of `amm ARGS` run in-process through `amm_core.cli.main`."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse usage errors
            code = exc.code if isinstance(exc.code, int) else 2
    return code, out.getvalue(), err.getvalue()


def amm_json(*args: str) -> dict[str, Any]:
    code, out, err = amm(*args, "--json")
    assert code == 0, err
    return json.loads(out)


def save_random_run(home: Path, dataset: str = MGID_NAME, name: str = RUN_NAME) -> Path:
    """A completed run whose checkpoint holds untrained weights: enough for every input check
    of `amm predict`, without the minutes a real training takes."""
    from amm_core.checkpoint import Checkpoint, file_sha256, save_checkpoint
    from amm_core.cli.storage import open_workspace
    from amm_core.config import resolve_config, to_dict
    from amm_core.model.variants import build_model
    from amm_core.workspace import Settings
    from db import crud
    from db import runs as db_runs

    workspace = open_workspace(Settings.resolve(home))
    with workspace.sessions() as session:
        found = crud.get_dataset(session, dataset)
        label_sets, kind, dataset_id = dict(found.label_sets), found.kind, found.id
    config = resolve_config(kind, {"model": {"n_emotion_classes": len(label_sets["emotion"])}})
    path = workspace.settings.runs_dir / name / "best.pt"
    save_checkpoint(Checkpoint(config, label_sets, build_model(config.model).state_dict()), path)
    with workspace.sessions() as session, session.begin():
        run = db_runs.create_run(session, name, dataset_id=dataset_id, config=to_dict(config))
        db_runs.update_run(session, run.id, status="completed", checkpoint_path=str(path),
                           checkpoint_sha256=file_sha256(path))
    workspace.engine.dispose()
    return path


# --- bad files ---------------------------------------------------------------------------------

def png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height pixels (the body is a few bytes)."""
    from tests.features.media_fixtures import png_header_only

    return png_header_only(width, height)


def real_jpeg() -> bytes:
    from tests.data.mgid_fixtures import jpeg_bytes

    return jpeg_bytes(seed=1)


def real_png() -> bytes:
    from tests.features.media_fixtures import gradient, image_bytes

    return image_bytes(gradient(), "PNG")


def write(path: Path, content: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


# Streamlit's OIDC settings for the login tests (never contacted: AppTest fakes the user)
AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "s3cret",
        "client_id": "amm", "client_secret": "x",
        "server_metadata_url": "https://id.example.org/.well-known/openid-configuration"}
