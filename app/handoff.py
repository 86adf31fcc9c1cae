"""Hand a case from one page to another: "explain this sample / upload with this run".

The caller sets the target in session state and switches to the Explain page; the Explain page
reads it once as its initial selection. Pages never pass file paths, only ids and hashes.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from app.navigation import find_page

# {"kind": "sample", "sample_id": int} | {"kind": "upload", "sha256": str}
EXPLAIN_TARGET = "explain_target"
EXPLAIN_RUN = "explain_run"  # run name
EXPLAIN_REQUEST = "explain_request"  # a counter: asking again for the same case re-opens it


def explain_available() -> bool:
    return find_page("explain") is not None


def request_explanation(*, run: str | None, sample_id: int | None = None,
                        upload_sha256: str | None = None) -> None:
    """Remember what to explain and open the Explain page (no-op when it is not registered)."""
    if sample_id is not None:
        st.session_state[EXPLAIN_TARGET] = {"kind": "sample", "sample_id": int(sample_id)}
    elif upload_sha256 is not None:
        st.session_state[EXPLAIN_TARGET] = {"kind": "upload", "sha256": upload_sha256}
    if run:
        st.session_state[EXPLAIN_RUN] = run
    st.session_state[EXPLAIN_REQUEST] = st.session_state.get(EXPLAIN_REQUEST, 0) + 1
    page = find_page("explain")
    if page is not None:
        st.switch_page(page.path)


def pending_explanation() -> tuple[dict[str, Any] | None, str | None]:
    """(target, run) handed over by another page, if any; left in place until replaced."""
    return st.session_state.get(EXPLAIN_TARGET), st.session_state.get(EXPLAIN_RUN)


def explanation_request() -> tuple[int, dict[str, Any] | None, str | None]:
    """(request number, target, run): the Explain page applies each distinct value once."""
    target, run = pending_explanation()
    return st.session_state.get(EXPLAIN_REQUEST, 0), target, run
