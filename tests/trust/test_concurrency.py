"""Several real OS processes label and import at once against one workspace (SQLite, and
PostgreSQL when AMM_TEST_POSTGRES_URL is set): no label lost or duplicated, one event per label
operation, exact per-annotator counts. Extends tests/db's parallel writers (same label-setting
path as the Annotation page) with `amm annotate import` processes running beside them."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from db import crud
from db.engine import open_database
from db.models import Annotation, AnnotationEvent, Annotator
from tests.postgres import postgres_url

ROOT = Path(__file__).resolve().parents[2]
N_SAMPLES = 30
RELABELLED = 10  # each page writer changes its mind on the first 10 samples


def make_dataset(url: str) -> list[str]:
    """A DAIC-kind dataset `d` with N_SAMPLES utterances; returns their external ids."""
    _, sessions = open_database(url)
    with sessions() as session, session.begin():
        dataset = crud.upsert_dataset(session, "d", kind="daic", source_path=None,
                                      label_sets={"emotion": ["non-sad", "sad"]}, summary={})
        crud.upsert_samples(session, dataset, [{"external_id": f"300_{i}", "split": "train",
                                                "text": f"u{i}"} for i in range(N_SAMPLES)])
    return [f"300_{i}" for i in range(N_SAMPLES)]


def page_writer(url: str, annotator: str, first: str, second: str) -> None:
    """Label every sample `first` one transaction at a time, then relabel some `second`."""
    from tests.db.test_annotations import _label_many

    _, sessions = open_database(url)
    with sessions() as session:
        ids = [s.id for s in crud.get_dataset(session, "d").samples]
    _label_many(url, annotator, ids, first)
    _label_many(url, annotator, ids[:RELABELLED], second)


def writer_processes(url: str, home: Path, ids: list[str], tmp: Path) -> list[subprocess.Popen]:
    """Two page-style writers and two `amm annotate import` processes (two annotators each)."""
    code = ("import sys; from tests.trust.test_concurrency import page_writer; "
            "page_writer(*sys.argv[1:])")
    procs = [subprocess.Popen([sys.executable, "-c", code, url, who, a, b], cwd=ROOT)
             for who, a, b in (("ana", "sad", "non-sad"), ("ben", "non-sad", "sad"))]
    env = {**os.environ, "AMM_DATABASE_URL": url}
    for k, pair in enumerate((("cai", "dee"), ("eve", "fay"))):
        rows = [f"{sid},{who},{'sad' if i % 2 else 'non-sad'}"
                for who in pair for i, sid in enumerate(ids)]
        labels = tmp / f"labels{k}.csv"
        labels.write_text("sample_id,annotator,label\n" + "\n".join(rows) + "\n")
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "amm_core.cli", "annotate", "import", str(labels),
             "--dataset", "d", "--home", str(home)], cwd=ROOT, env=env,
            stdout=subprocess.DEVNULL))
    return procs


def check_nothing_lost(url: str) -> None:
    _, sessions = open_database(url)
    with sessions() as session:
        names = dict(session.execute(select(Annotator.id, Annotator.name)).all())
        labels = Counter(names[a] for a in session.scalars(select(Annotation.annotator_id)))
        events = Counter((names[e.annotator_id], e.action)
                         for e in session.scalars(select(AnnotationEvent)))
        sad = dict(session.execute(select(Annotator.name, func.count(Annotation.id))
                                   .join(Annotation).where(Annotation.label == "sad")
                                   .group_by(Annotator.name)).all())
    everyone = ("ana", "ben", "cai", "dee", "eve", "fay")
    assert sorted(names.values()) == list(everyone)  # each annotator created exactly once
    assert labels == Counter({who: N_SAMPLES for who in everyone})
    for who in ("ana", "ben"):
        assert events[(who, "create")] == N_SAMPLES and events[(who, "change")] == RELABELLED
    for who in ("cai", "dee", "eve", "fay"):
        assert events[(who, "create")] == N_SAMPLES and events[(who, "change")] == 0
    assert sum(events.values()) == 6 * N_SAMPLES + 2 * RELABELLED  # one event per operation
    assert sad["ana"] == N_SAMPLES - RELABELLED and sad["ben"] == RELABELLED
    assert sad["cai"] == N_SAMPLES // 2


def run_writers(url: str, home: Path, tmp: Path) -> None:
    ids = make_dataset(url)
    procs = writer_processes(url, home, ids, tmp)
    assert [p.wait(timeout=240) for p in procs] == [0] * len(procs)
    check_nothing_lost(url)


@pytest.mark.slow
def test_page_writers_and_importers_at_once_on_sqlite(tmp_path):
    home = tmp_path / "home"
    run_writers(f"sqlite:///{home / 'amm.db'}", home, tmp_path)


@pytest.mark.slow
@pytest.mark.postgres
def test_page_writers_and_importers_at_once_on_postgresql(tmp_path):
    url = postgres_url(fresh=True)
    run_writers(url, tmp_path / "home", tmp_path)

