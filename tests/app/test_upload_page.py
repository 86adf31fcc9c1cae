"""The Upload & predict page through AppTest, on a private copy of the demo workspace's database
(the demo home itself stays read-only for the other page tests)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app.handoff import EXPLAIN_RUN, EXPLAIN_TARGET
from app.navigation import find_page
from tests.cli.helpers import row_counts
from tests.features.media_fixtures import gradient, image_bytes

ROOT = Path(__file__).resolve().parents[2]
PAGE = str(ROOT / "app" / "pages" / "upload.py")
APP = str(ROOT / "streamlit_app.py")


@pytest.fixture
def upload_home(demo_copy: Path) -> Path:
    """The demo's runs (checkpoints read in place) with a database and media folder of its own."""
    return demo_copy


def _page() -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=180).run()
    assert not at.exception
    return at


def test_text_and_image_predict_store_and_show_history(upload_home):
    at = _page()
    assert at.title[0].value == "Upload & predict"
    before = row_counts(upload_home)
    at.selectbox(key="upl_run").set_value("demo-amm").run()
    at.text_area(key="upl_text").input("i can't get out of bed, everything is grey")
    at.file_uploader(key="upl_file").upload("sky.png", image_bytes(gradient(), "PNG"),
                                            "image/png")
    at.selectbox(key="upl_gender").set_value("female")
    at.button(key="upl_predict").click().run()
    assert not at.exception and not at.error
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Depression"].split(" (")[0] in ("depressed", "not depressed")
    assert metrics["Emotion"].split(" (")[0] in ("depressed", "neutral", "happiness", "fear",
                                                 "surprise", "anger")
    assert metrics["Device"] in ("CPU", "CUDA", "CUDA:0")
    assert metrics["Latency"].endswith(" ms") and float(metrics["Latency"][:-3]) > 0
    if metrics["Device"] == "CPU":
        assert any("Running on the CPU" in i.value for i in at.info)
    assert len(at.get("plotly_chart")) == 1
    newest = at.dataframe[0].value.iloc[0]  # the history, newest first
    assert (newest["run"], newest["media"], newest["gender"]) == ("demo-amm", "image: sky.png",
                                                                  "female")
    counts = row_counts(upload_home)
    assert counts["uploads"] == before["uploads"] + 1
    assert counts["upload_predictions"] == before["upload_predictions"] + 2
    assert len(list((upload_home / "media" / "uploads").glob("*.png"))) == 1
    assert at.button(key="upl_explain")


def test_explain_this_upload_opens_the_explain_page_on_it(upload_home):
    """Through the whole app, so that st.switch_page has the registered pages."""
    at = AppTest.from_file(APP, default_timeout=180)
    at.switch_page("app/pages/upload.py").run()
    at.selectbox(key="upl_run").set_value("demo-amm").run()
    at.text_area(key="upl_text").input("nobody would notice if i were gone")
    at.button(key="upl_predict").click().run()
    assert not at.exception and not at.error
    at.button(key="upl_explain").click().run()
    assert not at.exception
    target = at.session_state[EXPLAIN_TARGET]
    assert target["kind"] == "upload" and at.session_state[EXPLAIN_RUN] == "demo-amm"
    if find_page("explain") is not None:
        assert at.title[0].value == "Explain"
        assert at.session_state["exp_upload"] == target["sha256"]


def test_a_bad_file_is_one_error_and_nothing_is_stored(upload_home):
    at = _page()
    before = row_counts(upload_home)
    at.selectbox(key="upl_run").set_value("demo-amm").run()
    at.text_area(key="upl_text").input("hello")
    at.file_uploader(key="upl_file").upload("photo.png", image_bytes(gradient(), "JPEG"),
                                            "image/png")
    at.button(key="upl_predict").click().run()
    assert not at.exception
    assert "photo.png: content is JPEG" in at.error[0].value
    assert row_counts(upload_home) == before
    assert not at.get("plotly_chart")


def test_a_daic_run_disables_the_image_uploader_and_says_why(upload_home):
    at = _page()
    at.selectbox(key="upl_run").set_value("demo-amm-daic").run()
    assert not at.exception
    assert at.file_uploader(key="upl_file").proto.disabled
    assert any("OpenFace" in c.value for c in at.caption)
    assert not at.text_area(key="upl_text").disabled


def test_a_file_left_attached_for_a_run_without_pictures_is_refused_not_dropped(upload_home):
    at = _page()
    before = row_counts(upload_home)
    at.selectbox(key="upl_run").set_value("demo-amm").run()
    at.text_area(key="upl_text").input("so tired of everything")
    at.file_uploader(key="upl_file").upload("sky.png", image_bytes(gradient(), "PNG"),
                                            "image/png").run()
    at.selectbox(key="upl_run").set_value("demo-amm-daic").run()  # reads no pictures
    at.button(key="upl_predict").click().run()
    assert not at.exception
    assert len(at.error) == 1 and "image" in at.error[0].value
    assert row_counts(upload_home) == before and not at.get("metric")


def test_the_limits_shown_are_the_ones_the_uploader_enforces(upload_home):
    import streamlit as st

    at = _page()
    server_mb = st.get_option("server.maxUploadSize")
    assert f"an image or video up to {min(server_mb, 200)} MB" in " ".join(
        c.value for c in at.caption)
