"""Re-labelling requests: samples sent back to the annotation queue, with who asked and why.

A request is open until a new label is given to its sample after it was made; then
`resolved_at` is set (by `resolve_sample` when the label is given through the dashboard, and by
`resolve_answered` for labels that arrived another way, e.g. `amm annotate import`). Undoing the
label that answered it opens it again (`reopen_unanswered`).
Callers own the transaction (`with session.begin()`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session

from db.models import AnnotationEvent, RelabelRequest, Sample, utcnow

LABEL_ACTIONS = ("create", "change", "adjudicate")  # an undo does not answer a request


@dataclass(frozen=True)
class OpenRequest:
    sample_id: int
    reason: str
    requested_by: str
    run_id: int | None
    created_at: datetime


def create_requests(session: Session, sample_ids: Iterable[int], reason: str,
                    requested_by: str, run_id: int | None = None) -> int:
    """One open request per sample; a sample that already has an open request is left as it is.
    Returns how many requests were created. Raises ValueError on an empty reason or name."""
    reason, requested_by = reason.strip(), requested_by.strip()
    if not reason:
        raise ValueError("a re-labelling request needs a reason")
    if not requested_by:
        raise ValueError("a re-labelling request needs the name of who asks for it")
    wanted = list(dict.fromkeys(sample_ids))
    known = set(session.scalars(select(Sample.id).where(Sample.id.in_(wanted))))
    missing = [sid for sid in wanted if sid not in known]
    if missing:
        raise ValueError(f"unknown sample id(s): {', '.join(map(str, missing[:5]))}")
    already = set(session.scalars(select(RelabelRequest.sample_id).where(
        RelabelRequest.sample_id.in_(wanted), RelabelRequest.resolved_at.is_(None))))
    fresh = [sid for sid in wanted if sid not in already]
    session.add_all(RelabelRequest(sample_id=sid, run_id=run_id, reason=reason,
                                   requested_by=requested_by) for sid in fresh)
    session.flush()
    return len(fresh)


def _answered(undone: Iterable[int] = ()):
    """SQL condition: a label event on the request's sample at or after the request (events in
    `undone`, labels later undone, do not count)."""
    condition = exists().where(AnnotationEvent.sample_id == RelabelRequest.sample_id,
                               AnnotationEvent.created_at >= RelabelRequest.created_at,
                               AnnotationEvent.action.in_(LABEL_ACTIONS))
    undone = list(undone)
    return condition.where(AnnotationEvent.id.not_in(undone)) if undone else condition


def requested_samples(session: Session, dataset_id: int) -> list[int]:
    """Samples of the dataset with an open request."""
    return list(session.scalars(select(RelabelRequest.sample_id).join(Sample).where(
        Sample.dataset_id == dataset_id, RelabelRequest.resolved_at.is_(None)).distinct()))


def resolve_answered(session: Session, dataset_id: int, undone_event_ids: Iterable[int] = ()
                     ) -> int:
    """Close the dataset's open requests whose sample got a new label since (one not undone:
    `undone_event_ids`); returns how many."""
    in_dataset = select(Sample.id).where(Sample.dataset_id == dataset_id)
    result = session.execute(
        update(RelabelRequest)
        .where(RelabelRequest.resolved_at.is_(None), RelabelRequest.sample_id.in_(in_dataset),
               _answered(undone_event_ids))
        .values(resolved_at=utcnow())
        .execution_options(synchronize_session=False))
    return int(result.rowcount or 0)


def resolve_sample(session: Session, sample_id: int) -> int:
    """Close every open request of a sample (a label was just given to it); returns how many."""
    result = session.execute(
        update(RelabelRequest)
        .where(RelabelRequest.sample_id == sample_id, RelabelRequest.resolved_at.is_(None))
        .values(resolved_at=utcnow())
        .execution_options(synchronize_session=False))
    return int(result.rowcount or 0)


def open_requests(session: Session, dataset_id: int) -> list[OpenRequest]:
    """The dataset's open requests, oldest first."""
    query = (select(RelabelRequest)
             .join(Sample, Sample.id == RelabelRequest.sample_id)
             .where(Sample.dataset_id == dataset_id, RelabelRequest.resolved_at.is_(None))
             .order_by(RelabelRequest.created_at, RelabelRequest.id))
    return [OpenRequest(r.sample_id, r.reason, r.requested_by, r.run_id, r.created_at)
            for r in session.scalars(query)]


def sample_requests(session: Session, sample_ids: Iterable[int]) -> dict[int, datetime | None]:
    """sample id -> resolved_at of its latest request (None while open), for samples with one."""
    query = (select(RelabelRequest.sample_id, RelabelRequest.resolved_at)
             .where(RelabelRequest.sample_id.in_(list(sample_ids)))
             .order_by(RelabelRequest.created_at, RelabelRequest.id))
    return {sid: resolved for sid, resolved in session.execute(query)}


def reopen_unanswered(session: Session, sample_id: int, live_event_ids: Iterable[int]) -> int:
    """Open again the sample's resolved requests that no label still in force answers (after an
    undo). `live_event_ids`: the sample's label events not undone. Returns how many reopened."""
    live = list(live_event_ids)
    times = list(session.scalars(select(AnnotationEvent.created_at).where(
        AnnotationEvent.id.in_(live), AnnotationEvent.sample_id == sample_id))) if live else []
    reopened = 0
    for request in session.scalars(select(RelabelRequest).where(
            RelabelRequest.sample_id == sample_id, RelabelRequest.resolved_at.is_not(None))):
        if not any(when >= request.created_at for when in times):
            request.resolved_at = None
            reopened += 1
    session.flush()
    return reopened
