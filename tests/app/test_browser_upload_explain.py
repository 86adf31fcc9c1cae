"""Real browser: a user uploads an image and a text, sees both tasks' predictions, opens the
explanation and sees the inter-modal and inter-task attention heatmaps."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.app.browser import (
    SCREENSHOTS,
    chromium_page,
    small_trained_home,
    streamlit_server,
    wait_until_idle,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]
RUN = "upload-amm"
LONG = 120_000  # attributions on a loaded 2-core machine


def a_photo(path: Path) -> Path:
    """A 480x360 JPEG: a dark sky over a grey street (any decodable picture will do)."""
    rng = np.random.default_rng(0)
    picture = np.zeros((360, 480, 3), np.uint8)
    picture[:180] = (60, 30, 20)
    picture[180:] = (90, 90, 90)
    picture = cv2.add(picture, rng.integers(0, 40, picture.shape, dtype=np.uint8))
    assert cv2.imwrite(str(path), picture)
    return path


def uploads_in(home: Path) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(f"sqlite:///{home / 'amm.db'}")
    with engine.connect() as conn:
        return conn.execute(text("SELECT COUNT(*) FROM upload_predictions")).scalar()


def test_upload_predict_and_see_both_heatmaps(tmp_path):
    home = small_trained_home(tmp_path, RUN, seed=5)
    photo = a_photo(tmp_path / "street.jpg")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with streamlit_server(home) as base, chromium_page() as page:
        page.goto(f"{base}/upload")
        wait_until_idle(page)
        page.get_by_label("Text").fill("so tired of everything, nothing helps anymore")
        page.get_by_role("heading", name="Upload & predict").click()  # commit the text box
        wait_until_idle(page)
        page.locator('input[type="file"]').set_input_files(str(photo))
        page.get_by_text("street.jpg").wait_for(timeout=30_000)
        wait_until_idle(page)
        page.get_by_role("button", name="Predict").click()
        page.get_by_text(f"Prediction by {RUN}").wait_for(timeout=LONG)
        wait_until_idle(page)
        for label in ("Depression", "Emotion", "Device", "Latency"):
            # waits out a rerun still replacing the elements (e.g. the text box committing)
            metric = page.locator("[data-testid=stMetric]").filter(has_text=label)
            metric.first.wait_for(timeout=LONG)
            assert metric.count() == 1
        page.screenshot(path=str(SCREENSHOTS / "upload-predictions.png"), full_page=True)

        page.get_by_role("button", name="Explain this upload").click()
        page.get_by_text("Inter-task attention").wait_for(timeout=LONG)
        wait_until_idle(page)
        page.get_by_text("Inter-modal attention").wait_for(timeout=LONG)
        assert "/explain" in page.url
        # token bars, zones, encoder attention and the four attention heatmaps all drew
        page.wait_for_function("document.querySelectorAll('.js-plotly-plot').length >= 6",
                               timeout=LONG)
        heatmaps = page.locator(".js-plotly-plot .heatmaplayer")
        assert heatmaps.count() >= 4
        page.screenshot(path=str(SCREENSHOTS / "upload-explain-heatmaps.png"), full_page=True)
        assert page.locator('[data-testid="stException"]').count() == 0
    assert uploads_in(home) == 2  # one stored prediction per task, for the one upload
