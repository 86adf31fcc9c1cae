"""Fixtures over the session's demo workspace (tests/conftest.py `demo_home`) and small corpora."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture
def quirk_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The small MGID corpus with planted quirks (tests/app/quirk_mgid.py), imported."""
    from tests.app import quirk_mgid

    home = quirk_mgid.build(tmp_path)
    monkeypatch.setenv("AMM_HOME", str(home))
    monkeypatch.delenv("AMM_DATABASE_URL", raising=False)
    return home


@pytest.fixture
def demo_env(demo_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("AMM_HOME", str(demo_home))
    monkeypatch.delenv("AMM_DATABASE_URL", raising=False)
    return demo_home


@pytest.fixture(autouse=True)
def _chromium_for_browser_tests(request: pytest.FixtureRequest) -> None:
    """Tests marked `browser` need Debian's chromium: skipped without it, failed under CI."""
    if request.node.get_closest_marker("browser") is None:
        return
    from tests.app.browser import CHROMIUM

    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("CI must provide /usr/bin/chromium (.ci/run installs it)")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
