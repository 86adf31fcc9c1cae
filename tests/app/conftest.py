"""A demo workspace built once per test session (through `amm demo`), shared read-only."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from amm_core.cli import main


@pytest.fixture(scope="session")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("demo-home")
    assert main(["demo", "--home", str(home), "--json"]) == 0
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
