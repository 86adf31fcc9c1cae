"""Model runs and their predictions: create, report progress, finish, store predictions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from db.models import GoldLabel, ModelRun, Prediction, Sample, utcnow


def create_run(session: Session, name: str, **values: Any) -> ModelRun:
    """A new run row in status 'running'. Names are unique; the caller checks first."""
    run = ModelRun(name=name, status="running", progress=0.0, started_at=utcnow(), **values)
    session.add(run)
    session.flush()
    return run


def update_run(session: Session, run_id: int, **values: Any) -> None:
    run = session.get(ModelRun, run_id)
    if run is None:
        raise LookupError(f"run {run_id} no longer exists")
    for key, value in values.items():
        setattr(run, key, value)
    if values.get("status") in ("completed", "failed", "cancelled"):
        run.finished_at = utcnow()


def list_runs(session: Session) -> list[ModelRun]:
    return list(session.scalars(select(ModelRun).order_by(ModelRun.created_at.desc())))


def delete_predictions(session: Session, run_id: int, sample_ids: Iterable[int]) -> None:
    ids = list(sample_ids)
    for start in range(0, len(ids), 500):
        session.execute(delete(Prediction).where(Prediction.run_id == run_id,
                                                 Prediction.sample_id.in_(ids[start:start + 500])))


def write_predictions(session: Session, run_id: int, rows: list[Mapping[str, Any]]) -> int:
    """Replace the run's predictions for these samples/tasks with `rows`
    ({sample_id, task, label, probabilities})."""
    delete_predictions(session, run_id, {row["sample_id"] for row in rows})
    if rows:
        session.execute(insert(Prediction), [{"run_id": run_id, **row} for row in rows])
    return len(rows)


def gold_sources(session: Session, sample_ids: set[int]) -> dict[int, str]:
    """sample id -> its gold label's source ("majority" | "adjudicated") for these samples."""
    rows = session.execute(select(GoldLabel.sample_id, GoldLabel.source))
    return {sid: source for sid, source in rows if sid in sample_ids}


def gold_labels(session: Session, dataset_id: int, source: str | None = None) -> dict[int, str]:
    """sample id -> gold label for one dataset (issue 4's adjudicated / majority labels); only
    one `source` when given."""
    query = (select(GoldLabel.sample_id, GoldLabel.label)
             .join(Sample, Sample.id == GoldLabel.sample_id)
             .where(Sample.dataset_id == dataset_id))
    if source is not None:
        query = query.where(GoldLabel.source == source)
    return {sample_id: label for sample_id, label in session.execute(query)}


def dataset_samples(session: Session, dataset_id: int, split: str | None = None) -> list[Sample]:
    query = select(Sample).where(Sample.dataset_id == dataset_id)
    if split is not None:
        query = query.where(Sample.split == split)
    return list(session.scalars(query.order_by(Sample.id)))


def run_predictions(session: Session, run_id: int) -> list[Prediction]:
    return list(session.scalars(select(Prediction).where(Prediction.run_id == run_id)))
