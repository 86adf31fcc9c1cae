"""Uploads and their predictions per run: upsert by content hash, and the history, newest first.

Callers own the transaction (`with session.begin()`), so a failure stores nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import ModelRun, Upload, UploadPrediction, utcnow


def get_upload(session: Session, sha256: str) -> Upload | None:
    return session.scalars(select(Upload).where(Upload.sha256 == sha256)).one_or_none()


def upsert_upload(session: Session, sha256: str, **values: Any) -> tuple[Upload, bool]:
    """(row, created): the upload with this content hash, inserted unless it already exists.

    An existing row keeps its first values: the same hash means the same content.
    """
    upload = get_upload(session, sha256)
    if upload is not None:
        return upload, False
    upload = Upload(sha256=sha256, **values)
    session.add(upload)
    session.flush()
    return upload, True


def upsert_upload_predictions(
    session: Session, upload_id: int, run_id: int, rows: list[Mapping[str, Any]]
) -> int:
    """One row per task ({task, label, probabilities, device, latency_ms}); a repeat replaces the
    run's earlier prediction for that task and takes the current time."""
    existing = {
        p.task: p
        for p in session.scalars(select(UploadPrediction).where(
            UploadPrediction.upload_id == upload_id, UploadPrediction.run_id == run_id))
    }
    for row in rows:
        prediction = existing.get(row["task"])
        if prediction is None:
            session.add(UploadPrediction(upload_id=upload_id, run_id=run_id, **row))
            continue
        for key, value in row.items():
            setattr(prediction, key, value)
        prediction.created_at = utcnow()
    session.flush()
    return len(rows)


def upload_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Upload)) or 0


def upload_history(session: Session, limit: int = 50) -> list[dict[str, Any]]:
    """The `limit` most recently predicted uploads, newest first, each with its predictions:
    {"sha256", "text", "media_kind", "original_name", "gender", "created_at",
     "runs": {run name: {"predicted_at", "device", "latency_ms", "tasks": {task: {"label",
     "probabilities"}}}}} (runs in the order they last predicted it, newest first)."""
    latest = (select(UploadPrediction.upload_id, func.max(UploadPrediction.created_at).label("at"))
              .group_by(UploadPrediction.upload_id).subquery())
    uploads = list(session.scalars(
        select(Upload).join(latest, latest.c.upload_id == Upload.id)
        .order_by(latest.c.at.desc(), Upload.id.desc()).limit(limit)))
    if not uploads:
        return []
    predictions = session.execute(
        select(UploadPrediction, ModelRun.name)
        .join(ModelRun, ModelRun.id == UploadPrediction.run_id)
        .where(UploadPrediction.upload_id.in_([u.id for u in uploads]))
        .order_by(UploadPrediction.created_at.desc(), UploadPrediction.id.desc()))
    runs: dict[int, dict[str, dict[str, Any]]] = {u.id: {} for u in uploads}
    for prediction, run_name in predictions:
        entry = runs[prediction.upload_id].setdefault(run_name, {
            "predicted_at": prediction.created_at, "device": prediction.device,
            "latency_ms": prediction.latency_ms, "tasks": {},
        })
        entry["tasks"][prediction.task] = {"label": prediction.label,
                                           "probabilities": dict(prediction.probabilities)}
    return [
        {"sha256": u.sha256, "text": u.text, "media_kind": u.media_kind,
         "original_name": u.original_name, "gender": u.gender, "created_at": u.created_at,
         "runs": runs[u.id]}
        for u in uploads
    ]
