"""Composition root of the dashboard: settings and the workspace, built once per server process.

The only module that uses `st.cache_resource`. Pages get everything else from `app.services`.
"""

from __future__ import annotations

import streamlit as st

from amm_core.cli.storage import Workspace, open_workspace
from amm_core.workspace import Settings


def workspace() -> Workspace:
    """The workspace named by $AMM_HOME (default ./amm_workspace), migrated to the latest schema."""
    return _open(Settings.resolve())


@st.cache_resource(show_spinner="Opening the workspace…")
def _open(settings: Settings) -> Workspace:
    return open_workspace(settings)


@st.cache_resource(show_spinner=False)
def device() -> dict[str, str]:
    from amm_core.device import describe_device

    return describe_device()
