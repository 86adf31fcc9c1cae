"""Real browser: an annotator labels three utterances with keyboard shortcuts only, and the
Agreement page shows the disagreement this makes with a colleague's imported labels."""

from __future__ import annotations

from pathlib import Path

import pytest

from amm_core.cli import main
from tests.app.browser import (
    SCREENSHOTS,
    chromium_page,
    streamlit_server,
    wait_until_idle,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_three_utterances_by_keyboard(tmp_path):
    from tests.data.daic_fixtures import write_daic_corpus

    home = tmp_path / "home"
    assert main(["import", "daic", "--root", str(write_daic_corpus(tmp_path / "daic")),
                 "--home", str(home)]) == 0
    colleague = tmp_path / "lee.csv"  # a colleague already said "sad" to every utterance
    colleague.write_text("sample_id,annotator,label\n" + "".join(
        f"{external},lee,sad\n" for external in _external_ids(home)))
    assert main(["annotate", "import", str(colleague), "--dataset", "daic",
                 "--home", str(home)]) == 0
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with streamlit_server(home) as base, chromium_page() as page:
        page.goto(f"{base}/agreement")
        wait_until_idle(page)
        page.get_by_text("No open disagreements.").wait_for(timeout=30_000)
        page.goto(f"{base}/annotate")
        wait_until_idle(page)
        name = page.get_by_label("Annotator name")
        name.fill("kim")
        name.press("Enter")
        wait_until_idle(page)
        page.get_by_text("You: 0 of 18").wait_for(timeout=30_000)
        for count, key in enumerate(("s", "n", "s"), start=1):
            # The progress line renders before the buttons: wait for the whole run, then for the
            # buttons whose shortcuts the key press goes to.
            wait_until_idle(page)
            page.get_by_role("button", name="Undo").wait_for(timeout=30_000)
            page.locator("h3").first.click()  # focus leaves the text box; shortcuts go to the app
            page.keyboard.press(key)
            page.get_by_text(f"You: {count} of 18").wait_for(timeout=30_000)
        page.screenshot(path=str(SCREENSHOTS / "annotate-by-keyboard.png"), full_page=True)
        assert page.locator('[data-testid="stException"]').count() == 0
        page.get_by_role("link", name="Agreement").click()  # in-app navigation, same session
        page.get_by_text("1 item(s) where annotators disagree.").wait_for(timeout=30_000)
        wait_until_idle(page)
        page.screenshot(path=str(SCREENSHOTS / "agreement-after-keyboard.png"), full_page=True)
        assert page.locator('[data-testid="stException"]').count() == 0
    from sqlalchemy import create_engine, text

    engine = create_engine(f"sqlite:///{home / 'amm.db'}")
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT label FROM annotations ORDER BY id")).scalars().all()
        events = conn.execute(text("SELECT COUNT(*) FROM annotation_events")).scalar()
    assert rows[18:] == ["sad", "non-sad", "sad"] and events == 18 + 3


def _external_ids(home: Path) -> list[str]:
    from sqlalchemy import create_engine, text

    engine = create_engine(f"sqlite:///{home / 'amm.db'}")
    with engine.connect() as conn:
        return list(conn.execute(text("SELECT external_id FROM samples")).scalars())
