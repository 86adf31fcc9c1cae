"""The Home page, driven by Streamlit's AppTest on a demo workspace and on an empty one."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
HOME_PAGE = str(ROOT / "app" / "pages" / "home.py")


def _texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [s.value for s in at.subheader]
    parts += [c.value for c in at.caption] + [w.value for w in at.warning]
    return "\n".join(str(p) for p in parts)


def test_home_shows_demo_datasets_counts_and_quality(demo_env):
    at = AppTest.from_file(HOME_PAGE, default_timeout=60).run()
    assert not at.exception
    assert at.title[0].value == "AMM Studio"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Datasets"] == "2"
    assert int(metrics["Samples"]) > 300
    assert metrics["Device"] in ("CPU", "GPU")
    text = _texts(at)
    assert "demo-mgid" in text and "demo-daic" in text
    assert "synthetic demo" in text
    assert "sync marker" in text  # DAIC rows not used as utterances, in words
    # MGID data-quality figures are shown for the MGID dataset.
    assert "images with conflicting labels" in metrics
    assert "images in more than one split" in metrics
    runs = at.dataframe[0].value
    assert {"demo-amm", "demo-amm-daic"} <= set(runs["run"])
    assert set(runs["status"]) == {"completed"}
    splits = at.dataframe[1].value
    assert set(splits["split"]) == {"train", "dev", "test"}


def test_home_on_an_empty_workspace_says_how_to_import(tmp_path, monkeypatch):
    monkeypatch.setenv("AMM_HOME", str(tmp_path / "empty"))
    at = AppTest.from_file(HOME_PAGE, default_timeout=60).run()
    assert not at.exception
    assert {m.label: m.value for m in at.metric}["Datasets"] == "0"
    assert "amm import mgid" in at.info[0].value
