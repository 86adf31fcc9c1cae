"""The Data audit page through AppTest: its numbers agree with the importer's own audit, each
number opens the rows behind it, DAIC gets the reduced audit, and posts go on to the browser."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
PAGE = str(ROOT / "app" / "pages" / "audit.py")
APP = str(ROOT / "streamlit_app.py")


def _import_summary(home: Path, dataset: str) -> dict:
    with sqlite3.connect(home / "amm.db") as conn:
        (summary,) = conn.execute("SELECT summary FROM datasets WHERE name = ?",
                                  (dataset,)).fetchone()
    return json.loads(summary)


def _number(at: AppTest, key: str) -> int:
    return int(at.button(key=f"audit_open_{key}").label.split()[0].replace(",", ""))


def test_mgid_numbers_match_the_import_and_open_their_rows(demo_env):
    summary = _import_summary(demo_env, "demo-mgid")
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    at.selectbox(key="audit_dataset").set_value("demo-mgid").run()
    assert not at.exception
    assert {"audit_dep", "audit_emo", "audit_shift"} <= {c.key for c in at.get("plotly_chart")}
    assert summary["split_shift_warning"] in [w.value for w in at.warning]
    assert _number(at, "duplicated_images") == summary["duplicated_images"]
    assert _number(at, "cross_split_images") == summary["cross_split_images"]
    assert _number(at, "image_label_conflicts") == summary["label_conflicts"]
    assert _number(at, "empty_captions") == summary["empty_text"]
    assert _number(at, "missing_images") == summary["images_missing"]

    at.button(key="audit_open_duplicated_images").click().run()
    rows = at.dataframe[0].value
    assert len(rows) == summary["rows_sharing_an_image"]
    assert (rows["image"].value_counts() >= 2).all()  # every image listed is shared

    at.button(key="audit_open_cross_split_images").click().run()
    rows = at.dataframe[0].value
    assert rows.groupby("image")["split"].nunique().gt(1).all()

    at.button(key="audit_open_empty_captions").click().run()
    rows = at.dataframe[0].value
    assert len(rows) == summary["empty_text"] and (rows["text"].str.strip() == "").all()


def test_daic_gets_the_reduced_audit(demo_env):
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    at.selectbox(key="audit_dataset").set_value("demo-daic").run()
    assert not at.exception
    keys = {b.key for b in at.button}
    assert "audit_open_missing_visual" in keys and "audit_open_duplicated_images" not in keys
    assert at.button(key="audit_open_missing_visual").label.endswith("utterances")
    assert "audit_shift" not in {c.key for c in at.get("plotly_chart")}
    assert any("sync marker" in c.value for c in at.caption)


def test_audit_rows_open_in_the_mgid_browser(demo_env):
    at = AppTest.from_file(APP, default_timeout=90)
    at.switch_page("app/pages/audit.py").run()
    at.selectbox(key="audit_dataset").set_value("demo-mgid").run()
    at.button(key="audit_open_cross_split_images").click().run()
    wanted = sorted(at.dataframe[0].value["sample_id"])
    at.button(key="audit_to_browser").click().run()
    assert not at.exception
    assert at.title[0].value == "MGID browser"
    shown = sorted(int(b.key.rsplit("_", 1)[1]) for b in at.button
                   if b.key and b.key.startswith("browse_open_"))
    assert shown == wanted
