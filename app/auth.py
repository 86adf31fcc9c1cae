"""Optional login. When `.streamlit/secrets.toml` has an `[auth]` section (Streamlit's OIDC
settings: redirect_uri, cookie_secret, client_id, client_secret, server_metadata_url, or one
sub-section per provider), everyone signs in with `st.login()` and their identity names them on
every label. Without it, people type their name, as before (named, not authenticated)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import streamlit as st


def _auth_section() -> Mapping[str, Any] | None:
    try:
        section = st.secrets.get("auth")
    except (FileNotFoundError, st.errors.StreamlitSecretNotFoundError):
        return None
    return section if isinstance(section, Mapping) and section else None


def login_configured() -> bool:
    return _auth_section() is not None


def identity() -> str | None:
    """The signed-in person's email (else name) when login is on and they are signed in."""
    if not login_configured() or not st.user.get("is_logged_in", False):
        return None
    found = str(st.user.get("email") or st.user.get("name") or "").strip()
    return found[:100] or None


def _provider() -> str | None:
    """The provider to sign in with when `[auth]` lists several (`[auth.google]`, ...)."""
    section = _auth_section() or {}
    named = [key for key, value in section.items() if isinstance(value, Mapping)]
    return named[0] if named else None


def require_login() -> None:
    """With login configured: a sign-in screen until signed in (the page stops there), then a
    sign-out button in the sidebar. Without it: nothing."""
    if not login_configured():
        return
    if identity() is None:
        st.title("AMM Studio")
        st.write("Sign in to continue: every label is recorded under your identity.")
        if st.button("Sign in", key="auth_login", type="primary"):
            provider = _provider()
            if provider:
                st.login(provider)
            else:
                st.login()
        st.stop()
    with st.sidebar:
        st.caption(f"Signed in as {identity()}")
        if st.button("Sign out", key="auth_logout"):
            st.logout()
