"""The MGID browser on a corpus with planted image quirks (built in tmp_path): unreadable image
files give a placeholder instead of a crash, the HSV figure is the model's colour feature, text
search ignores case beyond ASCII, and the detail card and the Explain hand-off follow the
dataset."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from amm_core.cli.storage import open_workspace
from amm_core.config import resolve_config
from amm_core.features.colour import hsv_histogram
from amm_core.features.image import decode_resized
from amm_core.workspace import Settings
from app import browse_services as svc
from db import crud
from db import runs as db_runs
from tests.app import quirk_mgid

ROOT = Path(__file__).resolve().parents[2]
PAGE = str(ROOT / "app" / "pages" / "browse.py")


def _workspace(home: Path):
    return open_workspace(Settings.resolve(home, env={}))


def _open_keys(at: AppTest) -> list[str]:
    return [b.key for b in at.button if b.key and b.key.startswith("browse_open_")]


def _browser(dataset: str = quirk_mgid.DATASET) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    at.selectbox(key="browse_dataset").set_value(dataset).run()
    return at


@pytest.mark.parametrize("title", ["Corrupt", "Truncated"])
def test_an_unreadable_image_shows_a_placeholder_and_the_page_keeps_working(quirk_home, title):
    sample = quirk_mgid.sample_id(quirk_home, title)
    at = _browser()
    assert not at.exception
    at.button(key=f"browse_open_{sample}").click().run()
    assert not at.exception
    assert any("image unreadable" in str(w.value) for w in at.warning)
    assert at.button(key="browse_close")  # the card can be closed
    at.selectbox(key="browse_split").set_value("test").run()
    assert not at.exception
    at.selectbox(key="browse_split").set_value("train").run()
    at.button(key="browse_close").click().run()
    assert not at.exception and "browse_detail" not in str(at.get("flex_container"))


def test_the_grid_and_the_detail_agree_on_a_truncated_jpeg(quirk_home):
    """The model cannot decode a truncated JPEG, so no half-grey thumbnail pretends it can."""
    sample = quirk_mgid.sample_id(quirk_home, "Truncated")
    result = svc.browse_page(_workspace(quirk_home), svc.BrowseRequest(quirk_mgid.DATASET))
    card = next(c for c in result.cards if c.sample_id == sample)
    assert card.thumbnail is None and card.has_image
    detail = svc.sample_detail(_workspace(quirk_home), sample)
    assert detail.image_path is None and detail.hsv is None
    assert "truncated or corrupt" in detail.image_problem


def test_the_hsv_figure_is_the_models_colour_feature(quirk_home):
    """A transparent PNG: the model composites it on white (and resizes it), so the histogram
    shows a bright background, not the black hidden under the alpha channel."""
    sample = quirk_mgid.sample_id(quirk_home, "Transparent")
    detail = svc.sample_detail(_workspace(quirk_home), sample)
    features = resolve_config("mgid").features
    data = detail.image_path.read_bytes()
    model = hsv_histogram(decode_resized(data, detail.image_path.name,
                                         features.image_input_size()), features.hsv_bins)
    assert np.allclose(detail.hsv, model)
    value = detail.hsv[32:]
    assert value[-1] > 0.5 and value[0] < 0.1  # mostly white, hardly any black


def test_search_ignores_case_beyond_ascii(quirk_home):
    workspace = _workspace(quirk_home)
    wanted = quirk_mgid.sample_id(quirk_home, "Unicode")
    for words in ("ünïcödé", "ÜNÏCÖDÉ", "émotion"):
        result = svc.browse_page(workspace, svc.BrowseRequest(quirk_mgid.DATASET, search=words))
        assert [c.sample_id for c in result.cards] == [wanted], words


def test_the_open_card_closes_when_the_dataset_changes(quirk_home, tmp_path):
    quirk_mgid.build_second(tmp_path, quirk_home)
    sample = quirk_mgid.sample_id(quirk_home, "Good one")
    at = _browser()
    at.button(key=f"browse_open_{sample}").click().run()
    assert at.button(key="browse_close")
    at.selectbox(key="browse_dataset").set_value("other").run()
    assert not at.exception
    assert "browse_close" not in {b.key for b in at.button}
    assert "browse_selected" not in at.session_state


def _fake_run(home: Path, dataset: str, name: str) -> None:
    workspace = _workspace(home)
    with workspace.sessions() as session, session.begin():
        found = crud.get_dataset(session, dataset)
        run = db_runs.create_run(session, name, dataset_id=found.id)
        db_runs.update_run(session, run.id, status="completed")


def test_explain_without_a_run_hands_over_a_run_of_the_posts_dataset(quirk_home, tmp_path,
                                                                     monkeypatch):
    monkeypatch.setattr("app.handoff.find_page", lambda url_path: None)  # no page switch
    _fake_run(quirk_home, quirk_mgid.DATASET, "quirk-run")
    quirk_mgid.build_second(tmp_path, quirk_home)
    _fake_run(quirk_home, "other", "other-run")  # newer, but trained on another dataset
    sample = quirk_mgid.sample_id(quirk_home, "Good one")
    at = _browser()
    at.button(key=f"browse_open_{sample}").click().run()
    at.button(key="browse_explain").click().run()
    assert not at.exception
    assert at.session_state["explain_target"] == {"kind": "sample", "sample_id": sample}
    assert at.session_state["explain_run"] == "quirk-run"

