"""The Label issues page through AppTest on a copy of the demo database: the ranked issues of
the demo run, the split used, and sending chosen samples to the annotation queue."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from amm_core.cli.storage import open_workspace
from amm_core.workspace import Settings
from app.label_issue_services import label_issues
from db.models import RelabelRequest

ROOT = Path(__file__).resolve().parents[2]
PAGE = str(ROOT / "app" / "pages" / "label_issues.py")
ANNOTATE = str(ROOT / "app" / "pages" / "annotate.py")


def _requests(home: Path) -> list[RelabelRequest]:
    workspace = open_workspace(Settings.resolve(home, env={}))
    with workspace.sessions() as session:
        return list(session.scalars(select(RelabelRequest)))


def test_ranked_issues_sent_to_relabelling_reach_the_annotation_queue(demo_copy):
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    at.selectbox(key="li_run").select("demo-amm").run()
    at.selectbox(key="li_task").select("emotion").run()
    assert not at.exception
    assert any("held-out" in c.value and "out of fold" in c.value for c in at.caption)
    table = at.dataframe[0].value
    assert len(table) > 0 and set(table["split"]) <= {"dev", "test"}
    assert (table["given"] != table["suggested"]).all()
    assert list(table["margin"]) == sorted(table["margin"], reverse=True)
    assert len(at.get("image")) > 0  # the posts' pictures as thumbnails

    report = label_issues(open_workspace(Settings.resolve(demo_copy, env={})), "demo-amm",
                          "emotion")
    at.multiselect(key="li_chosen").set_value([r["sample_id"] for r in report.rows[:2]])
    at.button(key="li_send").click().run()
    assert "your name" in at.error[0].value and _requests(demo_copy) == []

    at.text_input(key="li_name").input("lead")
    at.text_input(key="li_reason").input("caption and picture disagree")
    at.button(key="li_send").click().run()
    assert not at.exception
    assert "2 sent to the annotation queue" in at.success[0].value
    assert [r.requested_by for r in _requests(demo_copy)] == ["lead", "lead"]

    annotate = AppTest.from_file(ANNOTATE, default_timeout=120).run()
    annotate.text_input(key="ann_name").input("ana").run()
    annotate.selectbox(key="ann_dataset").select("demo-mgid").run()
    assert ("Why this item: re-label requested by lead: caption and picture disagree"
            in [c.value for c in annotate.caption])


def test_train_split_is_flagged_in_sample(demo_copy):
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    at.selectbox(key="li_run").select("demo-amm").run()
    at.selectbox(key="li_split").select("train").run()
    assert not at.exception
    assert any("in-sample" in w.value for w in at.warning)
