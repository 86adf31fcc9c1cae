"""First launch: an empty workspace is filled with the synthetic demo, with visible progress."""

from __future__ import annotations

import streamlit as st

from app import deps, services

_READY_KEY = "_amm_workspace_ready"


def prepare_workspace() -> None:
    """Build the demo once, on the first launch over an empty workspace; a no-op afterwards."""
    if st.session_state.get(_READY_KEY):
        return
    workspace = deps.workspace()
    if services.needs_demo(workspace):
        label = "First launch: building the synthetic demo workspace…"
        with st.status(label, expanded=True) as box:
            st.write("No data yet, so AMM Studio generates small synthetic corpora in the real "
                     "DAIC-WOZ and MGID formats and imports them. Nothing is downloaded.")
            bar = st.progress(0.0, text="starting")
            services.build_demo(workspace, progress=lambda f, m: bar.progress(min(f, 1.0), text=m))
            box.update(label="Demo workspace ready", state="complete", expanded=False)
    st.session_state[_READY_KEY] = True
