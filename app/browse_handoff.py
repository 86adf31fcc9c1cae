"""Hand a set of posts to the MGID browser ("show me the rows behind this audit figure").

The caller stores the dataset, the sample ids and why, then switches to the browser, which shows
only those posts until the user clears the focus. Only ids travel, never file paths.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from app.navigation import find_page

BROWSE_FOCUS = "browse_focus"  # {"dataset": str, "sample_ids": [int], "reason": str, "fresh": bool}


def browse_available() -> bool:
    return find_page("browse") is not None


def request_browse(dataset: str, sample_ids: list[int], reason: str) -> None:
    """Remember the posts to show and open the browser (no switch when it is not registered)."""
    ids = [int(i) for i in sample_ids]
    st.session_state[BROWSE_FOCUS] = {"dataset": dataset, "sample_ids": ids, "reason": reason,
                                      "fresh": True}
    page = find_page("browse")
    if page is not None:
        st.switch_page(page.path)


def browse_focus() -> dict[str, Any] | None:
    return st.session_state.get(BROWSE_FOCUS)


def clear_browse_focus() -> None:
    st.session_state.pop(BROWSE_FOCUS, None)
