"""Dataset and sample upserts: re-import is idempotent and updates in place."""

from __future__ import annotations

from db import crud
from db.engine import open_database


def _rows(n: int, text: str = "hello") -> list[dict]:
    return [
        {"external_id": f"train:{i}", "split": "train", "text": text, "depression_label": i % 2,
         "emotion_label": "neutral", "meta": {"row": i}}
        for i in range(n)
    ]


def test_reimport_is_idempotent_and_updates_changed_rows(tmp_path):
    _, sessions = open_database(f"sqlite:///{tmp_path / 'amm.db'}")
    with sessions() as session, session.begin():
        ds = crud.upsert_dataset(session, "d", kind="mgid", source_path=None, label_sets={},
                                 summary={})
        first = crud.upsert_samples(session, ds, _rows(5))
    assert (first.inserted, first.updated, first.unchanged) == (5, 0, 0)
    with sessions() as session, session.begin():
        ds = crud.upsert_dataset(session, "d", kind="mgid", source_path=None, label_sets={},
                                 summary={})
        again = crud.upsert_samples(session, ds, _rows(5))
        changed = _rows(6)
        changed[0]["text"] = "changed"
        third = crud.upsert_samples(session, ds, changed)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 5)
    assert (third.inserted, third.updated, third.unchanged) == (1, 1, 4)
    with sessions() as session:
        ds = crud.get_dataset(session, "d")
        assert crud.sample_count(session, ds) == 6


def test_a_dataset_name_cannot_change_kind(tmp_path):
    _, sessions = open_database(f"sqlite:///{tmp_path / 'amm.db'}")
    with sessions() as session, session.begin():
        crud.upsert_dataset(session, "d", kind="mgid", source_path=None, label_sets={}, summary={})
    with sessions() as session, session.begin():
        try:
            crud.upsert_dataset(session, "d", kind="daic", source_path=None, label_sets={},
                                summary={})
        except ValueError as exc:
            assert "already exists as a mgid dataset" in str(exc)
        else:
            raise AssertionError("kind change accepted")
