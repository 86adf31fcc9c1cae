"""Real browser: on Error analysis, a researcher clicks a confusion-matrix cell and gets exactly
that cell's cases, then opens one of them for explanation."""

from __future__ import annotations

import re

import pytest

from amm_core.cli.storage import open_workspace
from amm_core.workspace import Settings
from app import analysis_services as svc
from tests.app.browser import (
    SCREENSHOTS,
    chromium_page,
    small_trained_home,
    streamlit_server,
    wait_until_idle,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]
RUN = "small-amm"


def busiest_cell(matrix: list[list[int]]) -> tuple[int, int]:
    """The most common mistake, or the fullest cell when the run makes none."""
    cells = [(i, j) for i in range(len(matrix)) for j in range(len(matrix))]
    wrong = [c for c in cells if c[0] != c[1] and matrix[c[0]][c[1]]]
    return max(wrong or cells, key=lambda c: matrix[c[0]][c[1]])


def matching(page, count: int):
    return page.get_by_text(re.compile(rf"^{count} case\(s\) match"))


def test_click_a_confusion_cell_into_a_case(tmp_path):
    home = small_trained_home(tmp_path, RUN, seed=3)
    analysis = svc.error_analysis(open_workspace(Settings.resolve(str(home))), RUN,
                                  "depression", "test")
    labels, matrix = analysis.cases.labels, analysis.confusion
    row, col = busiest_cell(matrix)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with streamlit_server(home) as base, chromium_page() as page:
        page.goto(f"{base}/errors")
        wait_until_idle(page)
        matching(page, len(analysis.cases.cases)).wait_for(timeout=30_000)
        # the plotting area of the confusion matrix: rows top to bottom, columns left to right
        area = page.locator('[data-testid="stPlotlyChart"]').first.locator(".nsewdrag").first
        area.wait_for(timeout=30_000)
        box = area.bounding_box()
        k = len(labels)
        x = box["x"] + (col + 0.5) * box["width"] / k
        y = box["y"] + (row + 0.5) * box["height"] / k
        page.mouse.move(x, y)
        page.mouse.click(x, y)
        matching(page, matrix[row][col]).wait_for(timeout=30_000)
        wait_until_idle(page)
        headline = page.locator('[data-testid="stMarkdownContainer"]').filter(
            has_text=" · predicted ").first
        headline.scroll_into_view_if_needed()
        page.screenshot(path=str(SCREENSHOTS / "errors-confusion-cell.png"))
        text = headline.inner_text()
        assert f"true {labels[row]}" in text and f"predicted {labels[col]}" in text
        assert page.locator('[data-testid="stException"]').count() == 0
        page.get_by_role("button", name="Explain").first.click()
        # the case goes to the Explain page, or (without one) is remembered for it
        page.wait_for_function(
            """() => location.pathname.replace(/\\/$/, '').endsWith('/explain')
                     || document.body.innerText.includes('the case is remembered for it')""",
            timeout=60_000)
        wait_until_idle(page)
        page.screenshot(path=str(SCREENSHOTS / "errors-case-explain.png"))
