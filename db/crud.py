"""Create / read / update helpers for datasets and samples. Callers own the transaction."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from db.models import Dataset, GoldLabel, ModelRun, Sample, utcnow

SAMPLE_COLUMNS = (
    "external_id", "split", "text", "title", "context", "media_path", "media_kind", "session_id",
    "participant_id", "start_time", "stop_time", "gender", "depression_label", "emotion_label",
    "meta",
)


@dataclass(frozen=True)
class UpsertCounts:
    inserted: int
    updated: int
    unchanged: int
    not_in_source: int = 0  # stored samples this import no longer has (kept, with their labels)


def get_dataset(session: Session, name: str) -> Dataset | None:
    return session.scalars(select(Dataset).where(Dataset.name == name)).one_or_none()


def upsert_dataset(
    session: Session,
    name: str,
    *,
    kind: str,
    source_path: str | None,
    label_sets: Mapping[str, Any],
    summary: Mapping[str, Any],
    synthetic: bool = False,
) -> Dataset:
    """The dataset called `name`, created or with its metadata refreshed."""
    dataset = get_dataset(session, name)
    if dataset is None:
        dataset = Dataset(name=name, kind=kind)
        session.add(dataset)
    elif dataset.kind != kind:
        raise ValueError(
            f"dataset '{name}' already exists as a {dataset.kind} dataset; choose another --name"
        )
    dataset.source_path = source_path
    dataset.label_sets = dict(label_sets)
    dataset.summary = dict(summary)
    dataset.synthetic = synthetic
    dataset.updated_at = utcnow()
    session.flush()
    return dataset


def _row_values(row: Mapping[str, Any]) -> dict[str, Any]:
    values = {column: row.get(column) for column in SAMPLE_COLUMNS}
    values["text"] = values["text"] or ""
    values["meta"] = values["meta"] or {}
    return values


def upsert_samples(
    session: Session, dataset: Dataset, rows: Iterable[Mapping[str, Any]]
) -> UpsertCounts:
    """Insert new samples and update changed ones, matched on (dataset, external_id). Stored
    samples the rows no longer have are kept (their annotations with them) and counted."""
    existing = {
        s.external_id: s
        for s in session.scalars(select(Sample).where(Sample.dataset_id == dataset.id))
    }
    new_rows: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    unchanged = 0
    seen: set[str] = set()
    for row in rows:
        values = _row_values(row)
        seen.add(values["external_id"])
        current = existing.get(values["external_id"])
        if current is None:
            new_rows.append({"dataset_id": dataset.id, **values})
        elif any(getattr(current, c) != values[c] for c in SAMPLE_COLUMNS):
            changed.append({"id": current.id, **values})
        else:
            unchanged += 1
    if new_rows:
        session.execute(insert(Sample), new_rows)
    if changed:
        session.execute(update(Sample), changed)
    return UpsertCounts(inserted=len(new_rows), updated=len(changed), unchanged=unchanged,
                        not_in_source=len(existing.keys() - seen))


def list_datasets(session: Session) -> list[Dataset]:
    return list(session.scalars(select(Dataset).order_by(Dataset.name)))


def sample_count(session: Session, dataset: Dataset | None = None) -> int:
    query = select(func.count(Sample.id))
    if dataset is not None:
        query = query.where(Sample.dataset_id == dataset.id)
    return session.scalar(query) or 0


def label_counts(session: Session, dataset: Dataset, gold: bool = False) -> list[dict[str, Any]]:
    """Rows of {split, depression_label, emotion_label, count} for one dataset.

    `gold`: the emotion label is the sample's gold label where one was decided (adjudicated or
    majority), else the imported one, as training and the browser use it; without it (Home),
    the labels as imported."""
    emotion = func.coalesce(GoldLabel.label, Sample.emotion_label) if gold \
        else Sample.emotion_label
    query = (
        select(Sample.split, Sample.depression_label, emotion, func.count(Sample.id))
        .where(Sample.dataset_id == dataset.id)
        .group_by(Sample.split, Sample.depression_label, emotion)
    )
    if gold:
        query = query.outerjoin(GoldLabel, GoldLabel.sample_id == Sample.id)
    return [
        {"split": s, "depression_label": d, "emotion_label": e, "count": n}
        for s, d, e, n in session.execute(query)
    ]


def get_run(session: Session, name: str) -> ModelRun | None:
    return session.scalars(select(ModelRun).where(ModelRun.name == name)).one_or_none()
