"""The Label issues page on a copy of the demo database: a listed post whose image is missing or
unreadable gets a placeholder, a signed-in user's requests carry the login identity, and
depression issues are not sent to the (emotion-only) annotation queue."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from amm_core.cli.storage import open_workspace
from amm_core.workspace import Settings
from app import label_issue_services as svc
from db.models import RelabelRequest
from tests.trust.fixtures import AUTH

ROOT = Path(__file__).resolve().parents[2]
PAGE = str(ROOT / "app" / "pages" / "label_issues.py")


def _workspace(home: Path):
    return open_workspace(Settings.resolve(home, env={}))


def _requests(home: Path) -> list[RelabelRequest]:
    with _workspace(home).sessions() as session:
        return list(session.scalars(select(RelabelRequest)))


def _page(task: str) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    at.selectbox(key="li_run").select("demo-amm").run()
    at.selectbox(key="li_task").select(task).run()
    return at


def test_a_missing_or_unreadable_image_gets_a_placeholder(demo_copy, tmp_path):
    rows = svc.label_issues(_workspace(demo_copy), "demo-amm", "emotion").rows
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not a jpeg at all")
    with sqlite3.connect(demo_copy / "amm.db") as conn:
        conn.execute("UPDATE samples SET media_path = ? WHERE id = ?",
                     (str(broken), rows[0]["sample_id"]))
        conn.execute("UPDATE samples SET media_path = ? WHERE id = ?",
                     (str(tmp_path / "gone.jpg"), rows[1]["sample_id"]))
    at = _page("emotion")
    assert not at.exception
    captions = [c.value for c in at.caption]
    assert "🖼️ image unreadable" in captions and "🖼️ image missing" in captions
    assert len(at.get("image")) > 0  # the other posts keep their pictures


def test_a_signed_in_user_sends_requests_under_the_login_identity(demo_copy):
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.secrets["auth"] = AUTH
    at.user = {"is_logged_in": True, "email": "dr.lee@clinic.example", "name": "Dr Lee"}
    at.run()
    at.selectbox(key="li_run").select("demo-amm").run()
    at.selectbox(key="li_task").select("emotion").run()
    assert "li_name" not in {t.key for t in at.text_input}
    first = svc.label_issues(_workspace(demo_copy), "demo-amm", "emotion").rows[0]
    at.multiselect(key="li_chosen").set_value([first["sample_id"]]).run()
    at.button(key="li_send").click().run()
    assert not at.exception
    assert "1 sent to the annotation queue" in at.success[0].value
    assert [r.requested_by for r in _requests(demo_copy)] == ["dr.lee@clinic.example"]


def test_depression_issues_are_not_sent_to_the_emotion_queue(demo_copy):
    at = _page("depression")
    assert not at.exception
    assert len(at.dataframe) == 1  # the issues are still listed
    assert "li_send" not in {b.key for b in at.button}
    assert any("re-import" in i.value for i in at.info)

    row = svc.label_issues(_workspace(demo_copy), "demo-amm", "depression").rows[0]
    with pytest.raises(ValueError, match="fix the label at its source"):
        svc.send_to_relabel(_workspace(demo_copy), "demo-amm", [row["sample_id"]],
                            "model disagrees", "lead", task="depression")
    assert _requests(demo_copy) == []
