"""The Annotation page's label, note and undo services keep notes and survive an admin's
deletion of someone's labels."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from amm_core.cli import main
from amm_core.cli.storage import open_workspace
from amm_core.workspace import Settings
from app import annotation_services as ann
from db import relabel
from db.models import Annotation, Annotator


@pytest.fixture
def workspace(tmp_path: Path):
    from tests.data.daic_fixtures import write_daic_corpus

    home = tmp_path / "home"
    root = write_daic_corpus(tmp_path / "daic")
    assert main(["import", "daic", "--root", str(root), "--name", "daic", "--home",
                 str(home)]) == 0
    found = open_workspace(Settings.resolve(home))
    yield found
    found.engine.dispose()


def _label(workspace, sample_id: int, who: str) -> tuple[str, str | None] | None:
    with workspace.sessions() as session:
        row = session.execute(select(Annotation.label, Annotation.note)
                              .join(Annotator, Annotator.id == Annotation.annotator_id)
                              .where(Annotation.sample_id == sample_id,
                                     Annotator.name == who)).one_or_none()
    return tuple(row) if row else None


def _first_ids(workspace, n: int) -> list[int]:
    first = ann.next_view(workspace, "daic", "zed", "annotator", last_sample=None, skipped=set())
    return [first.sample_id + i for i in range(n)]


def test_a_note_edit_is_kept_and_undo_gives_back_the_earlier_note(workspace) -> None:
    [sample] = _first_ids(workspace, 1)
    ann.give_label(workspace, sample, "zed", "sad", "n1")
    ann.give_label(workspace, sample, "zed", "sad", "n2")  # same label, new note
    assert _label(workspace, sample, "zed") == ("sad", "n2")
    ann.give_label(workspace, sample, "zed", "sad", None)  # no note given: the note stays
    assert _label(workspace, sample, "zed") == ("sad", "n2")
    ann.give_label(workspace, sample, "zed", "non-sad", "n3")
    ann.undo_last(workspace, "zed")
    assert _label(workspace, sample, "zed") == ("sad", "n2")
    ann.undo_last(workspace, "zed")
    assert _label(workspace, sample, "zed") == ("sad", "n1")


def test_undo_and_the_queue_work_after_an_admin_deleted_labels(workspace) -> None:
    first, second = _first_ids(workspace, 2)
    assert main(["admin", "grant", "root", "--role", "admin", "--bootstrap", "--home",
                 str(workspace.settings.home)]) == 0
    ann.give_label(workspace, first, "zed", "sad", None)
    ann.give_label(workspace, first, "zed", "non-sad", None)
    assert main(["admin", "delete-labels", "--annotator", "zed", "--actor", "root", "--home",
                 str(workspace.settings.home)]) == 0
    ann.give_label(workspace, second, "zed", "sad", None)
    assert ann.undo_last(workspace, "zed") == second and _label(workspace, second, "zed") is None
    # The deleted label's history is closed: undo does not bring it back.
    assert ann.undo_last(workspace, "zed") is None and _label(workspace, first, "zed") is None
    with workspace.sessions() as session, session.begin():
        relabel.create_requests(session, [first], "check again", "root")
    view = ann.next_view(workspace, "daic", "bob", "annotator", last_sample=None, skipped=set())
    assert view is not None and view.sample_id == first


def test_the_adjudicators_queue_offers_a_tie_that_has_a_stale_majority_gold(workspace) -> None:
    """Only an adjudicator's decision takes an item off the adjudicator's queue: a majority gold
    label whose votes have since become a tie does not."""
    [sample] = _first_ids(workspace, 1)
    ann.give_label(workspace, sample, "ana", "sad", None)
    ann.give_label(workspace, sample, "ben", "sad", None)
    assert main(["annotate", "adjudicate", "--dataset", "daic", "--home",
                 str(workspace.settings.home)]) == 0  # majority gold: sad
    ann.give_label(workspace, sample, "ben", "non-sad", None)  # now 1 - 1
    view = ann.next_view(workspace, "daic", "dr lee", "adjudicator", last_sample=None,
                         skipped=set())
    assert view is not None and view.sample_id == sample
