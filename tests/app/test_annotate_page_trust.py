"""The Annotation page acts on what the user sees: a click labels the item on screen even when a
colleague's label changed the queue meanwhile; blind mode hides others' labels everywhere; roles
are the stored ones; an adjudicator's click decides the gold label; undo shows what it changed
and stays on the dataset in front of the user; skipped items can be brought back."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from amm_core.cli import main
from amm_core.cli.storage import open_workspace
from amm_core.workspace import Settings
from app import annotation_services as ann
from db import admin
from db.models import Annotation, Annotator, GoldLabel, Sample

ROOT = Path(__file__).resolve().parents[2]
PAGE = str(ROOT / "app" / "pages" / "annotate.py")


@pytest.fixture
def daic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from tests.data.daic_fixtures import write_daic_corpus

    home = tmp_path / "home"
    root = write_daic_corpus(tmp_path / "daic")
    assert main(["import", "daic", "--root", str(root), "--name", "daic", "--home",
                 str(home)]) == 0
    monkeypatch.setenv("AMM_HOME", str(home))
    monkeypatch.delenv("AMM_DATABASE_URL", raising=False)
    workspace = open_workspace(Settings.resolve(home))
    yield workspace
    workspace.engine.dispose()


def _open(name: str) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    at.text_input(key="ann_name").input(name).run()
    assert not at.exception
    return at


def _shown(workspace, at: AppTest) -> int:
    """The sample id of the utterance on screen (its text is the page's subheader)."""
    text = at.subheader[0].value
    with workspace.sessions() as session:
        ids = session.scalars(select(Sample.id).where(Sample.text == text)).all()
    assert len(ids) == 1, f"ambiguous utterance {text!r}"
    return ids[0]


def _labels(workspace) -> dict[tuple[int, str], str]:
    with workspace.sessions() as session:
        rows = session.execute(select(Annotation.sample_id, Annotator.name, Annotation.label)
                               .join(Annotator, Annotator.id == Annotation.annotator_id))
        return {(sid, who): label for sid, who, label in rows}


def _other_item(workspace, but: int) -> int:
    with workspace.sessions() as session:
        ids = session.scalars(select(Sample.id).order_by(Sample.id)).all()
    return next(i for i in reversed(ids) if i != but)


def test_a_click_labels_the_item_on_screen_even_if_the_queue_moved(daic):
    alice = _open("alice")
    seen = _shown(daic, alice)
    elsewhere = _other_item(daic, seen)
    ann.give_label(daic, elsewhere, "bob", "sad", None)  # now 'needs 1 more label' for alice
    alice.text_input(key=f"ann_note_{seen}").input("flat voice").run()
    alice.button(key="ann_label_non-sad").click().run()
    assert not alice.exception
    labels = _labels(daic)
    assert labels[(seen, "alice")] == "non-sad"
    assert (elsewhere, "alice") not in labels
    with daic.sessions() as session:
        note = session.scalars(select(Annotation.note).where(Annotation.sample_id == seen)).one()
    assert note == "flat voice"


def test_blind_mode_hides_other_annotators_in_the_history(daic):
    alice = _open("alice")
    seen = _shown(daic, alice)
    ann.give_label(daic, seen, "bob", "sad", None)
    alice.run()
    assert _shown(daic, alice) == seen
    history = alice.dataframe[0].value
    assert "bob" not in set(history.get("annotator", []))
    alice.toggle(key="ann_blind").set_value(False).run()
    assert "bob" in set(alice.dataframe[0].value["annotator"])


def test_a_chosen_adjudicator_role_needs_to_be_granted(daic):
    with daic.sessions() as session, session.begin():
        admin.grant_role(session, "root", "admin", "root", bootstrap=True)
    a, b = _other_item(daic, -1), _other_item(daic, _other_item(daic, -1))
    ann.give_label(daic, a, "ann", "sad", None)
    ann.give_label(daic, a, "bob", "non-sad", None)
    carol = _open("carol")
    carol.selectbox(key="ann_role").select("adjudicator").run()
    assert any("needs the adjudicator role" in w.value for w in carol.warning)
    assert not any("please adjudicate" in c.value for c in carol.caption)
    assert b  # two distinct items exist


def test_an_adjudicators_click_sets_the_gold_label_and_the_item_leaves_the_queue(daic):
    item = _other_item(daic, -1)
    ann.give_label(daic, item, "ann", "sad", None)
    ann.give_label(daic, item, "bob", "non-sad", None)
    judy = AppTest.from_file(PAGE, default_timeout=60).run()
    judy.selectbox(key="ann_role").select("adjudicator").run()
    judy.text_input(key="ann_name").input("judy").run()
    assert any("please adjudicate" in c.value for c in judy.caption)
    assert _shown(daic, judy) == item
    judy.button(key="ann_label_sad").click().run()
    assert not judy.exception
    with daic.sessions() as session:
        gold = session.scalars(select(GoldLabel).where(GoldLabel.sample_id == item)).one()
    assert (gold.label, gold.source) == ("sad", "adjudicated")
    assert (item, "judy") not in _labels(daic)  # a decision, not a third vote
    assert not any("please adjudicate" in c.value for c in judy.caption)
    assert _shown(daic, judy) != item


def test_undo_shows_the_item_it_changed(daic):
    at = _open("alice")
    first = _shown(daic, at)
    at.button(key="ann_label_sad").click().run()
    second = _shown(daic, at)
    at.button(key="ann_label_sad").click().run()
    assert _shown(daic, at) not in (first, second)
    at.button(key="ann_undo").click().run()
    assert _shown(daic, at) == second
    assert any("back to the item whose label you undid" in c.value for c in at.caption)
    assert (second, "alice") not in _labels(daic) and _labels(daic)[(first, "alice")] == "sad"


def test_undo_on_one_dataset_leaves_labels_on_another(daic, tmp_path):
    from tests.data.daic_fixtures import write_daic_corpus

    other = write_daic_corpus(tmp_path / "daic2")
    assert main(["import", "daic", "--root", str(other), "--name", "daic-b", "--home",
                 str(daic.settings.home)]) == 0
    with daic.sessions() as session:
        on_b = session.scalars(select(Sample.id).where(Sample.dataset.has(name="daic-b"))
                               .order_by(Sample.id)).first()
    at = _open("alice")
    at.selectbox(key="ann_dataset").select("daic").run()
    at.button(key="ann_label_sad").click().run()
    ann.give_label(daic, on_b, "alice", "non-sad", None)  # later, on the other dataset
    at.button(key="ann_undo").click().run()
    labels = _labels(daic)
    assert labels[(on_b, "alice")] == "non-sad"
    assert sum(who == "alice" for _, who in labels) == 1


def test_skipped_items_can_be_brought_back_when_the_queue_is_empty(daic):
    at = _open("alice")
    with daic.sessions() as session:
        total = len(session.scalars(select(Sample.id)).all())
    for _ in range(total):
        at.button(key="ann_skip").click().run()
    assert any("you skipped" in i.value for i in at.info)
    assert not at.success
    at.button(key="ann_unskip").click().run()
    assert at.subheader and not at.exception


def test_a_blank_note_is_no_note(daic):
    at = _open("alice")
    seen = _shown(daic, at)
    at.text_input(key=f"ann_note_{seen}").input("   ").run()
    at.button(key="ann_label_sad").click().run()
    with daic.sessions() as session:
        note = session.scalars(select(Annotation.note).where(Annotation.sample_id == seen)).one()
    assert note is None


def test_mgid_posts_have_no_neighbours_and_the_least_confident_post_comes_first(demo_home,
                                                                               tmp_path):
    home = tmp_path / "demo"
    shutil.copytree(demo_home, home)
    workspace = open_workspace(Settings.resolve(home))
    try:
        view = ann.next_view(workspace, "demo-mgid", "ana", "annotator", last_sample=None,
                             skipped=set(), uncertainty_run="demo-amm")
        confidence = ann._run_uncertainty(workspace, "demo-amm", ann.label_set(workspace,
                                                                               "demo-mgid"))
        assert view.before == [] and view.after == []
        assert confidence[view.sample_id] == min(confidence.values())
        assert f"p = {min(confidence.values()):.2f}" in view.reason
        assert min(confidence.values()) < 0.5  # six classes: a top class under one half
    finally:
        workspace.engine.dispose()
