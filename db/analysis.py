"""Queries behind error analysis: which runs have stored predictions for which task and split,
and one run's predictions joined with their samples and gold labels. Read-only."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import Dataset, GoldLabel, ModelRun, Prediction, Sample

CASE_COLUMNS = (
    Sample.id.label("sample_id"), Sample.external_id, Sample.split, Sample.text,
    Sample.media_path, Sample.media_kind, Sample.session_id, Sample.gender,
    Sample.depression_label, Sample.emotion_label, GoldLabel.label.label("gold_label"),
    Prediction.task, Prediction.label.label("predicted"), Prediction.probabilities,
)


def prediction_coverage(session: Session, run_name: str | None = None) -> list[dict[str, Any]]:
    """Rows {run, run_id, status, variant, run_task, dataset, dataset_id, dataset_kind, task,
    split, predictions}: how many stored predictions each run has per task and split."""
    query = (
        select(ModelRun.name.label("run"), ModelRun.id.label("run_id"), ModelRun.status,
               ModelRun.variant, ModelRun.task.label("run_task"),
               Dataset.name.label("dataset"), Dataset.id.label("dataset_id"),
               Dataset.kind.label("dataset_kind"), Prediction.task, Sample.split,
               func.count(Prediction.id).label("predictions"))
        .join(Prediction, Prediction.run_id == ModelRun.id)
        .join(Sample, Sample.id == Prediction.sample_id)
        .join(Dataset, Dataset.id == Sample.dataset_id)
        .group_by(ModelRun.id, Dataset.id, Prediction.task, Sample.split)
        .order_by(ModelRun.created_at.desc(), ModelRun.name, Prediction.task, Sample.split)
    )
    if run_name is not None:
        query = query.where(ModelRun.name == run_name)
    return [dict(row._mapping) for row in session.execute(query)]


def run_cases(session: Session, run_id: int, task: str,
              split: str | None = None) -> list[dict[str, Any]]:
    """One row per sample with this run's prediction for `task` (CASE_COLUMNS), by sample id;
    gold_label is the sample's gold label (issue 4) or None. split None: every split."""
    query = (
        select(*CASE_COLUMNS)
        .join(Prediction, Prediction.sample_id == Sample.id)
        .outerjoin(GoldLabel, GoldLabel.sample_id == Sample.id)
        .where(Prediction.run_id == run_id, Prediction.task == task)
        .order_by(Sample.id)
    )
    if split is not None:
        query = query.where(Sample.split == split)
    return [dict(row._mapping) for row in session.execute(query)]
