"""The Explain page through AppTest on the demo workspace: a sample explained at once, pixels on
request, and hand-offs from other pages (session state, st.switch_page, a stored upload)."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from amm_core.cli.storage import open_workspace
from amm_core.workspace import Settings
from app import explain_services as svc
from app.handoff import EXPLAIN_RUN, EXPLAIN_TARGET
from app.navigation import find_page

ROOT = Path(__file__).resolve().parents[2]
PAGE = str(ROOT / "app" / "pages" / "explain.py")
SECTIONS = {"Which words pushed the decision", "Which zones pushed the decision",
            "Encoder attention", "Inter-modal attention", "Inter-task attention"}


def _sample_id(home: Path, dataset: str, external_id: str) -> int:
    workspace = open_workspace(Settings.resolve(home))
    return svc.search_samples(workspace, dataset, external_id)[0]["sample_id"]


def _charts(at: AppTest) -> int:
    return len(at.get("plotly_chart"))


def test_sample_is_explained_at_once_and_pixels_on_request(demo_env) -> None:
    at = AppTest.from_file(PAGE, default_timeout=180).run()
    assert not at.exception
    at.selectbox(key="exp_run").select("demo-amm").run()
    assert not at.exception and not at.error
    assert at.selectbox(key="exp_dataset").value == "demo-mgid"  # the run's own dataset
    assert {s.value for s in at.subheader} >= SECTIONS
    assert any("Completeness delta" in c.value for c in at.caption)
    assert {m.label for m in at.metric} >= {"Depression", "Emotion", "Explained"}
    charts = _charts(at)
    at.selectbox(key="explanation_head").select("head 3").run()
    assert not at.exception
    at.button(key="exp_pixels").click().run()
    assert not at.exception and not at.error
    assert _charts(at) == charts + 1  # the pixel overlay
    assert "exp_pixels" not in [b.key for b in at.button]  # computed once, kept
    at.selectbox(key="exp_class").select("depressed").run()
    assert at.metric[-1].value == "depression: depressed"


def test_daic_utterance_shows_the_facial_feature_map(demo_env) -> None:
    at = AppTest.from_file(PAGE, default_timeout=180).run()
    at.selectbox(key="exp_run").select("demo-amm-daic").run()
    assert not at.exception and not at.error
    assert "Which windows pushed the decision" in {s.value for s in at.subheader}
    assert "exp_pixels" not in [b.key for b in at.button]  # facial features have no pixels
    at.selectbox(key="exp_dataset").select("demo-mgid").run()  # pictures for a DAIC run
    assert "OpenFace" in at.error[0].value


def test_handoff_in_session_state_preselects_run_and_sample(demo_env) -> None:
    sample = _sample_id(demo_env, "demo-mgid", "test:3")
    at = AppTest.from_file(PAGE, default_timeout=180)
    at.session_state[EXPLAIN_TARGET] = {"kind": "sample", "sample_id": sample}
    at.session_state[EXPLAIN_RUN] = "demo-amm"
    at.run()
    assert not at.exception and not at.error
    assert at.selectbox(key="exp_run").value == "demo-amm"
    assert at.selectbox(key="exp_sample").value == sample
    assert at.text_input(key="exp_query").value == "test:3"
    at.text_input(key="exp_query").input("").run()  # the user may move on afterwards
    assert at.selectbox(key="exp_run").value == "demo-amm" and not at.exception


CALLER = """
import streamlit as st
from app import handoff
if st.button("Explain this", key="caller_go"):
    handoff.request_explanation(run="demo-amm", sample_id={sample})
"""
MAIN = """
import streamlit as st
from app.navigation import find_page
explain = find_page("explain")
pages = [st.Page({caller!r}, title="Caller", default=True),
         st.Page(explain.path, title=explain.title, url_path=explain.url_path)]
st.navigation(pages).run()
"""


def test_switch_page_from_another_page_opens_explain_with_the_case(demo_env, tmp_path) -> None:
    sample = _sample_id(demo_env, "demo-mgid", "dev:2")
    caller = tmp_path / "caller.py"
    caller.write_text(CALLER.format(sample=sample))
    main = tmp_path / "main.py"
    main.write_text(MAIN.format(caller=str(caller)))
    at = AppTest.from_file(str(main), default_timeout=180).run()
    assert not at.exception and find_page("explain") is not None
    at.button(key="caller_go").click().run()
    assert not at.exception
    assert at.title[0].value == "Explain"
    assert at.selectbox(key="exp_sample").value == sample
    assert at.selectbox(key="exp_run").value == "demo-amm"


@pytest.fixture
def upload_home(demo_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict:
    """A copy of the demo database (runs point at the demo's checkpoints) with one upload."""
    from db import uploads

    home = tmp_path / "home"
    home.mkdir()
    with sqlite3.connect(demo_home / "amm.db") as source, \
            sqlite3.connect(home / "amm.db") as target:
        source.backup(target)
    picture = next((demo_home / "demo").rglob("*.jpg"))
    media = home / "media" / "uploads" / ("ab" * 32 + ".jpg")
    media.parent.mkdir(parents=True)
    shutil.copy(picture, media)
    workspace = open_workspace(Settings.resolve(home))
    with workspace.sessions() as session, session.begin():
        uploads.upsert_upload(session, "ab" * 32, text="alone again tonight",
                              media_path=str(media), media_kind="image", gender="female")
    monkeypatch.setenv("AMM_HOME", str(home))
    monkeypatch.delenv("AMM_DATABASE_URL", raising=False)
    return {"home": home, "sha256": "ab" * 32}


def test_handed_over_upload_is_explained_with_its_picture(upload_home) -> None:
    at = AppTest.from_file(PAGE, default_timeout=180)
    at.session_state[EXPLAIN_TARGET] = {"kind": "upload", "sha256": upload_home["sha256"]}
    at.session_state[EXPLAIN_RUN] = "demo-amm"
    at.run()
    assert not at.exception and not at.error
    assert at.radio(key="exp_source").value == "Upload"
    assert at.selectbox(key="exp_upload").value == upload_home["sha256"]
    assert {s.value for s in at.subheader} >= SECTIONS
    assert "alone" in at.markdown[0].value
    assert "exp_pixels" in [b.key for b in at.button]
    at.selectbox(key="exp_run").select("demo-amm-daic").run()  # cannot read pictures
    assert not at.exception and not at.error
    assert any("left out" in i.value for i in at.info)
