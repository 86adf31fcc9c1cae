"""Re-labelling requests: the annotation queue serves them first with the reason, and a new label
resolves them (through the services and through the Annotation page)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from amm_core.cli import main
from amm_core.cli.storage import open_workspace
from amm_core.workspace import Settings
from annotations.queues import QueueContext, QueueItem, next_item
from app import annotation_services as ann
from app import label_issue_services as issues
from db.models import RelabelRequest

ROOT = Path(__file__).resolve().parents[2]
ANNOTATE = str(ROOT / "app" / "pages" / "annotate.py")


@pytest.fixture
def daic_home(tmp_path, monkeypatch) -> Path:
    from tests.data.daic_fixtures import write_daic_corpus

    home = tmp_path / "home"
    root = write_daic_corpus(tmp_path / "daic")
    assert main(["import", "daic", "--root", str(root), "--name", "daic", "--home",
                 str(home)]) == 0
    monkeypatch.setenv("AMM_HOME", str(home))
    monkeypatch.delenv("AMM_DATABASE_URL", raising=False)
    return home


def _requests(workspace) -> list[RelabelRequest]:
    with workspace.sessions() as session:
        return list(session.scalars(select(RelabelRequest).order_by(RelabelRequest.id)))


def test_queue_strategy_puts_requests_first_even_for_items_already_labelled():
    items = [QueueItem(i, "300", i) for i in range(1, 5)]
    ctx = QueueContext(items=items, labels={3: {"ana": "sad"}}, annotator="ana",
                       role="adjudicator", relabel={3: "re-label requested by lead: why"})
    assert next_item(ctx).sample_id == 3
    assert next_item(ctx).reason == "re-label requested by lead: why"
    ctx.skipped = {3}
    assert next_item(ctx).sample_id != 3


def test_request_is_served_first_then_resolved_by_a_new_label(daic_home):
    workspace = open_workspace(Settings.resolve(daic_home))
    first = ann.next_view(workspace, "daic", "ana", "annotator", last_sample=None, skipped=set())
    ann.give_label(workspace, first.sample_id, "ana", "sad", None)
    later = ann.next_view(workspace, "daic", "ana", "annotator", last_sample=first.sample_id,
                          skipped=set())
    # ana already labelled `first`; a request sends it back to her queue, ahead of the rest
    assert issues.send_to_relabel(workspace, None, [first.sample_id, later.sample_id],
                                  "label looks wrong", "lead") == 2
    assert issues.send_to_relabel(workspace, None, [first.sample_id], "again", "lead") == 0
    served = ann.next_view(workspace, "daic", "ana", "annotator", last_sample=None,
                           skipped=set())
    assert served.sample_id == first.sample_id
    assert served.reason == "re-label requested by lead: label looks wrong"
    assert all(r.resolved_at is None for r in _requests(workspace))  # her old label predates it

    ann.give_label(workspace, first.sample_id, "ana", "non-sad", None)
    resolved = {r.sample_id: r.resolved_at for r in _requests(workspace)}
    assert resolved[first.sample_id] is not None and resolved[later.sample_id] is None
    served = ann.next_view(workspace, "daic", "ana", "annotator", last_sample=None,
                           skipped=set())
    assert served.sample_id == later.sample_id  # the other open request comes next

    # a label given another way (import) also answers the request
    with workspace.sessions() as session, session.begin():
        from db import annotations as store

        store.set_label(session, later.sample_id, store.get_or_create_annotator(session, "ben"),
                        "sad")
    view = ann.next_view(workspace, "daic", "ana", "annotator", last_sample=None, skipped=set())
    assert "re-label requested" not in view.reason
    assert all(r.resolved_at is not None for r in _requests(workspace))


def test_undoing_the_answering_label_reopens_the_request(daic_home):
    workspace = open_workspace(Settings.resolve(daic_home))
    sample = ann.next_view(workspace, "daic", "ana", "annotator", last_sample=None,
                           skipped=set()).sample_id
    assert issues.send_to_relabel(workspace, None, [sample], "check the sigh", "lead") == 1
    ann.give_label(workspace, sample, "ana", "sad", None)
    assert _requests(workspace)[0].resolved_at is not None
    assert ann.undo_last(workspace, "ana") == sample
    assert _requests(workspace)[0].resolved_at is None  # open again ...
    served = ann.next_view(workspace, "daic", "ana", "annotator", last_sample=None,
                           skipped=set())
    assert served.sample_id == sample and "check the sigh" in served.reason  # ... and served
    # answered by two people: undoing one label leaves the other's answer standing
    ann.give_label(workspace, sample, "ana", "sad", None)
    ann.give_label(workspace, sample, "ben", "non-sad", None)
    assert ann.undo_last(workspace, "ana") == sample
    assert _requests(workspace)[0].resolved_at is not None


def test_bad_requests_write_nothing(daic_home):
    workspace = open_workspace(Settings.resolve(daic_home))
    sample = ann.next_view(workspace, "daic", "ana", "annotator", last_sample=None,
                           skipped=set()).sample_id
    for ids, reason, who, message in (([], "r", "lead", "at least one"),
                                      ([sample], "r", " ", "your name"),
                                      ([sample], " ", "lead", "reason"),
                                      ([sample, 99999], "r", "lead", "unknown sample")):
        with pytest.raises(ValueError, match=message):
            issues.send_to_relabel(workspace, None, ids, reason, who)
    assert _requests(workspace) == []


def test_annotation_page_shows_why_the_item_came_back(daic_home):
    workspace = open_workspace(Settings.resolve(daic_home))
    last = ann.next_view(workspace, "daic", "ana", "annotator", last_sample=None, skipped=set())
    for _ in range(3):  # a request for an item further down the queue
        last = ann.next_view(workspace, "daic", "ana", "annotator", last_sample=last.sample_id,
                             skipped={last.sample_id})
    issues.send_to_relabel(workspace, None, [last.sample_id], "check the tone", "lead")
    at = AppTest.from_file(ANNOTATE, default_timeout=60).run()
    at.text_input(key="ann_name").input("ana").run()
    assert not at.exception
    assert at.subheader[0].value == last.text
    assert "Why this item: re-label requested by lead: check the tone" in [c.value
                                                                           for c in at.caption]
    at.button(key="ann_label_sad").click().run()
    assert not at.exception
    assert all(r.resolved_at is not None for r in _requests(workspace))
