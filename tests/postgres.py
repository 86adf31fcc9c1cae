"""The PostgreSQL server of the `postgres` tests: `.ci/run` starts one on loopback and sets
$AMM_TEST_POSTGRES_URL; without it a test is skipped here and fails under CI."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import text


def postgres_url(fresh: bool = True) -> str:
    """The server's URL; `fresh` empties its public schema first (each test starts clean)."""
    url = os.environ.get("AMM_TEST_POSTGRES_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("CI must provide a PostgreSQL server: .ci/run sets AMM_TEST_POSTGRES_URL")
        pytest.skip("AMM_TEST_POSTGRES_URL is not set (.ci/run starts a server and sets it)")
    if fresh:
        from db.engine import make_engine

        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        engine.dispose()
    return url
