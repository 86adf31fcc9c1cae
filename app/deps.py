"""Composition root of the dashboard: settings and the workspace, built once per server process.

The only module that uses `st.cache_resource`. Pages get everything else from `app.services`.
"""

from __future__ import annotations

import streamlit as st

from amm_core.cli.storage import SchemaMismatch, Workspace, WorkspaceError, open_workspace
from amm_core.workspace import Settings


def workspace() -> Workspace:
    """The workspace named by $AMM_HOME (default ./amm_workspace), migrated to the latest schema.
    A database written by a newer AMM Studio stops the page with that one line."""
    try:
        return _open(Settings.resolve())
    except (SchemaMismatch, WorkspaceError) as exc:
        st.error(str(exc))
        st.stop()


@st.cache_resource(show_spinner="Opening the workspace…")
def _open(settings: Settings) -> Workspace:
    return open_workspace(settings)


@st.cache_resource(show_spinner=False)
def device() -> dict[str, str]:
    from amm_core.device import describe_device

    return describe_device()


def predictor(run_name: str):
    """(run row, Predictor) for a finished run, loaded once per server process and run name.

    Raises amm_core.cli.output.CommandError (one line) when the run is unknown or unusable.
    The cache key includes the checkpoint's sha256, so a retrained run with the same name reloads.
    """
    ws = workspace()
    with ws.sessions() as session:
        from db import crud

        run = crud.get_run(session, run_name)
        sha = run.checkpoint_sha256 if run is not None else None
    return _predictor(ws.settings, run_name, sha)


@st.cache_resource(show_spinner="Loading the model…", max_entries=4)
def _predictor(settings: Settings, run_name: str, checkpoint_sha256: str | None):
    from amm_core.cli.model_data import load_run_predictor

    return load_run_predictor(_open(settings), run_name)
