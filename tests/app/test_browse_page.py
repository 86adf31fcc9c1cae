"""The MGID browser through AppTest on the demo workspace: filters, paging, run filters, the detail
view (HSV histogram, probabilities) and the hand-offs to the Explain page and from the audit."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
PAGE = str(ROOT / "app" / "pages" / "browse.py")


def _sql(home: Path, query: str, *args) -> list[tuple]:
    with sqlite3.connect(home / "amm.db") as conn:
        return conn.execute(query, args).fetchall()


def _count(home: Path, where: str = "1=1", *args) -> int:
    query = ("SELECT count(*) FROM samples s JOIN datasets d ON d.id = s.dataset_id "
             f"WHERE d.name = 'demo-mgid' AND {where}")
    return _sql(home, query, *args)[0][0]


def _summary(at: AppTest) -> str:
    return next(m.value for m in at.markdown if str(m.value).startswith("Posts "))


def _open_keys(at: AppTest) -> list[str]:
    return [b.key for b in at.button if b.key and b.key.startswith("browse_open_")]


def _card_captions(at: AppTest) -> list[str]:
    return [c.value for c in at.caption if " · " in str(c.value)]


def test_filters_and_paging_follow_the_database(demo_env):
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception
    assert at.title[0].value == "MGID browser"
    total = _count(demo_env)
    assert f"of **{total:,}**" in _summary(at)
    assert len(_open_keys(at)) == 24 and len(at.get("image")) == 24  # thumbnails, all cached
    assert list((demo_env / "cache" / "thumbnails").rglob("*.jpg"))

    at.selectbox(key="browse_split").set_value("test")
    at.selectbox(key="browse_depression").set_value("depressed").run()
    assert not at.exception
    expected = _count(demo_env, "s.split = 'test' AND s.depression_label = 1")
    assert f"of **{expected:,}**" in _summary(at)
    assert all(c.startswith("test · depressed ·") for c in _card_captions(at))

    first_page = _open_keys(at)
    at.button(key="browse_next").click().run()
    assert not at.exception
    assert at.number_input(key="browse_page").value == 2
    assert set(_open_keys(at)).isdisjoint(first_page)

    word = next(m.value for m in at.markdown if str(m.value).startswith("**")).split()[1]
    at.text_input(key="browse_search").set_value(word.upper()).run()  # back to page 1
    expected = _count(demo_env, "s.split = 'test' AND s.depression_label = 1 AND "
                                "(lower(s.title) LIKE ? OR lower(s.text) LIKE ?)",
                      f"%{word.lower()}%", f"%{word.lower()}%")
    assert expected >= 1 and f"of **{expected:,}**" in _summary(at)
    assert at.number_input(key="browse_page").value == 1


def _wrong_depression(home: Path) -> int:
    query = ("SELECT count(*) FROM predictions p JOIN samples s ON s.id = p.sample_id "
             "JOIN model_runs r ON r.id = p.run_id WHERE r.name = 'demo-amm' "
             "AND p.task = 'depression' AND p.label != CASE s.depression_label "
             "WHEN 1 THEN 'depressed' ELSE 'not depressed' END")
    return _sql(home, query)[0][0]


def test_run_filters_and_the_detail_view(demo_env, monkeypatch):
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    at.selectbox(key="browse_run").set_value("demo-amm").run()
    at.selectbox(key="browse_outcome").set_value("wrong").run()
    assert not at.exception
    wrong = _wrong_depression(demo_env)
    assert f"of **{wrong:,}**" in _summary(at)
    marks = [m.value for m in at.markdown if str(m.value).startswith(":")]
    assert marks and all(m.startswith(":red[run:") and m.endswith("✗]") for m in marks)

    opened = _open_keys(at)[0]
    sample_id = int(opened.rsplit("_", 1)[1])
    at.button(key=opened).click().run()
    assert not at.exception
    charts = {c.key: json.loads(c.proto.spec) for c in at.get("plotly_chart")}
    assert {"browse_hsv", "browse_probs"} <= set(charts)
    hsv_bars = [t for t in charts["browse_hsv"]["data"] if t["type"] == "bar"]
    assert len(hsv_bars) == 3 and all(abs(sum(t["y"]) - 1) < 1e-3 for t in hsv_bars)
    stored = [json.loads(p) for (p,) in _sql(
        demo_env, "SELECT probabilities FROM predictions p JOIN model_runs r ON r.id = p.run_id "
                  "WHERE r.name = 'demo-amm' AND sample_id = ?", sample_id)]
    by_classes = {frozenset(probs): probs for probs in stored}
    prob_bars = charts["browse_probs"]["data"]
    assert len(prob_bars) == len(stored) == 2
    for bar in prob_bars:
        probs = by_classes[frozenset(bar["y"])]
        assert bar["x"] == pytest.approx([probs[name] for name in bar["y"]])

    # Explain hands the sample and run over (no page switch while no Explain page is found).
    monkeypatch.setattr("app.handoff.find_page", lambda url_path: None)
    at.button(key="browse_explain").click().run()
    assert not at.exception
    assert at.session_state["explain_target"] == {"kind": "sample", "sample_id": sample_id}
    assert at.session_state["explain_run"] == "demo-amm"
    at.button(key="browse_close").click().run()
    assert not at.get("plotly_chart")


def test_a_hand_over_from_the_audit_shows_only_those_posts(demo_env):
    ids = [row[0] for row in _sql(demo_env, "SELECT s.id FROM samples s JOIN datasets d ON "
                                            "d.id = s.dataset_id WHERE d.name = 'demo-mgid' "
                                            "ORDER BY s.id DESC LIMIT 3")]
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state["browse_focus"] = {"dataset": "demo-mgid", "sample_ids": ids,
                                        "reason": "a test", "fresh": True}
    at.run()
    assert not at.exception
    assert sorted(int(k.rsplit("_", 1)[1]) for k in _open_keys(at)) == sorted(ids)
    assert "a test" in at.info[0].value
    at.button(key="browse_clear_focus").click().run()
    assert f"of **{_count(demo_env):,}**" in _summary(at)


def test_without_an_mgid_dataset_the_page_says_how_to_import(tmp_path, monkeypatch):
    monkeypatch.setenv("AMM_HOME", str(tmp_path / "empty"))
    monkeypatch.delenv("AMM_DATABASE_URL", raising=False)
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception
    assert "amm import mgid" in at.info[0].value
