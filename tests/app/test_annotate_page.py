"""The Annotation page through AppTest: label by button, see progress move, undo, skip."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from amm_core.cli import main

ROOT = Path(__file__).resolve().parents[2]
PAGE = str(ROOT / "app" / "pages" / "annotate.py")


@pytest.fixture
def daic_env(tmp_path, monkeypatch):
    from tests.data.daic_fixtures import write_daic_corpus

    home = tmp_path / "home"
    root = write_daic_corpus(tmp_path / "daic")
    assert main(["import", "daic", "--root", str(root), "--home", str(home)]) == 0
    monkeypatch.setenv("AMM_HOME", str(home))
    monkeypatch.delenv("AMM_DATABASE_URL", raising=False)
    return home


def _progress(at: AppTest) -> str:
    return at.get("progress")[0].proto.text


def test_labelling_moves_progress_and_undo_reverts(daic_env):
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception
    assert "Enter your name" in at.info[0].value
    at.text_input(key="ann_name").input("ana").run()
    assert not at.exception
    first = at.subheader[0].value  # the utterance, large
    assert _progress(at).startswith("You: 0 of 18")
    assert any("Why this item" in c.value for c in at.caption)
    at.button(key="ann_label_sad").click().run()
    assert _progress(at).startswith("You: 1 of 18")
    at.button(key="ann_label_non-sad").click().run()
    assert _progress(at).startswith("You: 2 of 18")
    at.button(key="ann_undo").click().run()
    assert _progress(at).startswith("You: 1 of 18")
    at.button(key="ann_skip").click().run()
    assert not at.exception
    assert _progress(at).startswith("You: 1 of 18")
    assert first  # an utterance was shown


def test_history_and_blind_mode(daic_env):
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    at.text_input(key="ann_name").input("ben").run()
    at.button(key="ann_label_sad").click().run()
    at.toggle(key="ann_blind").set_value(False).run()
    assert not at.exception
    assert any("Other annotators" in c.value for c in at.caption)


def test_mgid_posts_with_pictures_and_uncertainty_sampling(demo_env):
    """MGID re-labelling with six emotions; a trained run puts its least sure posts first."""
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    at.text_input(key="ann_name").input("ana").run()
    at.selectbox(key="ann_dataset").select("demo-mgid").run()
    assert not at.exception
    assert {b.key for b in at.button} >= {f"ann_label_{e}" for e in
                                           ("depressed", "neutral", "happiness", "fear",
                                            "surprise", "anger")}
    assert len(at.get("image")) == 1  # the post's picture
    at.selectbox(key="ann_run").select("demo-amm").run()
    assert not at.exception
    assert any("the model is unsure here" in c.value for c in at.caption)
