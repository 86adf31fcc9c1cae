"""Real browser: first launch on an empty workspace builds the demo, then every page renders
without an exception. Pages registered in app.navigation join this test automatically."""

from __future__ import annotations

import pytest

from app.navigation import PAGES
from tests.app.browser import (
    SCREENSHOTS,
    chromium_page,
    streamlit_server,
    wait_until_idle,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_first_launch_builds_demo_and_every_page_renders(tmp_path):
    home = tmp_path / "fresh-workspace"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with streamlit_server(home) as base, chromium_page() as page:
        page.goto(base)
        wait_until_idle(page, timeout_ms=900_000)  # first launch trains the demo runs
        page.get_by_text("demo-mgid · MGID").wait_for(timeout=60_000)  # its section heading
        page.screenshot(path=str(SCREENSHOTS / "first-launch-home.png"), full_page=True)
        for spec in PAGES:
            page.goto(f"{base}/{spec.url_path}")
            wait_until_idle(page)
            page.screenshot(path=str(SCREENSHOTS / f"page-{spec.url_path}.png"), full_page=True)
            errors = page.locator('[data-testid="stException"]')
            assert errors.count() == 0, f"{spec.title}: {errors.first.inner_text()}"
            assert page.locator('[data-testid="stApp"]').inner_text().strip(), spec.title
    assert (home / "amm.db").exists()
    assert (home / "demo" / "SYNTHETIC_DATA.txt").exists()
