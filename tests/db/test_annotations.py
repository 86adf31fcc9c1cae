"""Annotation storage: labels with their audit trail, gold labels, and parallel writers that lose
nothing on one SQLite workspace."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from db import annotations as store
from db import crud
from db.engine import open_database
from db.models import Annotation, AnnotationEvent, GoldLabel

ROOT = Path(__file__).resolve().parents[2]


def _workspace(tmp_path, n: int = 5):
    url = f"sqlite:///{tmp_path / 'amm.db'}"
    _, sessions = open_database(url)
    with sessions() as session, session.begin():
        dataset = crud.upsert_dataset(session, "d", kind="daic", source_path=None,
                                      label_sets={"emotion": ["non-sad", "sad"]}, summary={})
        crud.upsert_samples(session, dataset, [{"external_id": f"300_{i}", "split": "train",
                                                "text": f"u{i}"} for i in range(n)])
        ids = [s.id for s in dataset.samples]
    return url, sessions, ids


def test_every_change_leaves_an_event_and_undo_restores(tmp_path):
    _, sessions, ids = _workspace(tmp_path)
    with sessions() as session, session.begin():
        ann = store.get_or_create_annotator(session, "ana")
        assert store.set_label(session, ids[0], ann, "sad") is None
        assert store.set_label(session, ids[0], ann, "sad") == "sad"  # no-op, no event
        assert store.set_label(session, ids[0], ann, "non-sad", note="second look") == "sad"
        assert store.set_label(session, ids[0], ann, "sad", action="undo") == "non-sad"
        assert store.clear_label(session, ids[1], ann) is None
    with sessions() as session:
        trail = store.sample_events(session, ids[0])
        assert [(e["action"], e["old"], e["new"]) for e in trail] == [
            ("create", None, "sad"), ("change", "sad", "non-sad"), ("undo", "non-sad", "sad")]
        assert trail[1]["note"] == "second look" and trail[0]["annotator"] == "ana"
        assert store.dataset_labels(session, 1) == [(ids[0], "ana", "sad", None)]


def test_gold_labels_are_replaced_and_adjudication_is_audited(tmp_path):
    _, sessions, ids = _workspace(tmp_path)
    with sessions() as session, session.begin():
        store.set_gold(session, ids[0], "sad", "majority",
                       {"votes": {"sad": 2}, "voters": {"sad": ["ana", "bo"]}})
        judge = store.get_or_create_annotator(session, "dr b", "adjudicator")
        store.set_gold(session, ids[0], "non-sad", "adjudicated", {}, decided_by=judge)
    with sessions() as session:
        gold = session.scalars(select(GoldLabel)).all()
        assert [(g.label, g.source) for g in gold] == [("non-sad", "adjudicated")]
        trail = [(e["annotator"], e["action"], e["old"], e["new"], e["note"])
                 for e in store.sample_events(session, ids[0])]
        assert trail == [(store.MAJORITY_RULE, "gold", None, "sad", "majority of sad: ana, bo"),
                         ("dr b", "adjudicate", "sad", "non-sad", None)]


def _label_many(url: str, annotator: str, ids: list[int], label: str) -> None:
    _, sessions = open_database(url)
    for sample_id in ids:
        def work(sample_id: int = sample_id) -> None:
            with sessions() as session, session.begin():
                who = store.get_or_create_annotator(session, annotator)
                store.set_label(session, sample_id, who, label)
        store.retry_conflicts(work)


def test_parallel_writer_processes_lose_nothing(tmp_path):
    """Four real OS processes (plain interpreters, not multiprocessing: spawn would re-run
    whatever script AppTest left as __main__) write to one SQLite file at once."""
    url, sessions, ids = _workspace(tmp_path, n=40)
    writers = [("ana", "sad"), ("ben", "non-sad"), ("cai", "sad"), ("ana", "sad")]
    code = ("import json, sys; from tests.db.test_annotations import _label_many; "
            "_label_many(sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), sys.argv[4])")
    procs = [subprocess.Popen([sys.executable, "-c", code, url, who, json.dumps(ids), label],
                              cwd=ROOT) for who, label in writers]
    for proc in procs:
        assert proc.wait(timeout=120) == 0
    with sessions() as session:
        labels = session.scalar(select(func.count(Annotation.id)))
        events = session.scalar(select(func.count(AnnotationEvent.id)))
    assert labels == 3 * 40  # three distinct annotators, one label each per sample
    assert events == 3 * 40  # the duplicate writer's same labels were no-ops, never duplicates


def test_current_labels_are_derivable_from_the_event_trail(tmp_path):
    """Replaying the stored events (annotations.workflow) gives exactly the current labels."""
    from annotations.workflow import Event, current_labels

    _, sessions, ids = _workspace(tmp_path)
    with sessions() as session, session.begin():
        ana = store.get_or_create_annotator(session, "ana")
        ben = store.get_or_create_annotator(session, "ben")
        store.set_label(session, ids[0], ana, "sad")
        store.set_label(session, ids[0], ben, "non-sad")
        store.set_label(session, ids[1], ana, "non-sad")
        store.set_label(session, ids[1], ana, "sad")
        store.set_label(session, ids[1], ana, "non-sad", action="undo")
        store.clear_label(session, ids[0], ben)
        store.set_gold(session, ids[0], "sad", "adjudicated", {}, decided_by=ben)
    with sessions() as session:
        names = {a.id: a.name for a in session.scalars(select(store.Annotator))}
        events = [Event(e.sample_id, names[e.annotator_id], e.action, e.old_label, e.new_label,
                        e.note, e.id)
                  for e in session.scalars(select(AnnotationEvent).order_by(AnnotationEvent.id))]
        stored = {(sid, name): label for sid, name, label, _ in store.dataset_labels(session, 1)}
    assert current_labels(events) == stored == {(ids[0], "ana"): "sad", (ids[1], "ana"): "non-sad"}
