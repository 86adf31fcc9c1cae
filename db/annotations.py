"""Annotation storage: annotators, current labels plus the append-only event trail, gold labels.

Every write goes through `set_label` / `clear_label` / `set_gold`, which add an `AnnotationEvent`
in the same transaction, so the audit trail is complete by construction. Callers own the
transaction (`with session.begin()`); `retry_conflicts` re-runs a unit of work on a write conflict.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from db.models import Annotation, AnnotationEvent, Annotator, GoldLabel, Sample, utcnow

T = TypeVar("T")


def get_or_create_annotator(session: Session, name: str, role: str = "annotator") -> Annotator:
    name = name.strip()
    if not name:
        raise ValueError("an annotator needs a name")
    annotator = session.scalars(select(Annotator).where(Annotator.name == name)).one_or_none()
    if annotator is None:
        annotator = Annotator(name=name, role=role)
        session.add(annotator)
        session.flush()
    return annotator


def set_label(
    session: Session, sample_id: int, annotator: Annotator, label: str, note: str | None = None,
    action: str | None = None,
) -> str | None:
    """Give `annotator`'s label for the sample; returns the old label. The same label again is a
    no-op (no event) unless it brings another note: then the note changes, as a "change" event
    (so it can be undone). No note (None) keeps the stored one. `action` overrides the event's
    action (e.g. "undo")."""
    current = session.scalars(select(Annotation).where(
        Annotation.sample_id == sample_id, Annotation.annotator_id == annotator.id)).one_or_none()
    old = current.label if current else None
    if old == label and action is None and (note is None or note == current.note):
        return old
    if current is None:
        session.add(Annotation(sample_id=sample_id, annotator_id=annotator.id, label=label,
                               note=note))
    else:
        current.label, current.note, current.updated_at = label, note, utcnow()
    session.add(AnnotationEvent(sample_id=sample_id, annotator_id=annotator.id,
                                action=action or ("create" if old is None else "change"),
                                old_label=old, new_label=label, note=note))
    session.flush()
    return old


def clear_label(session: Session, sample_id: int, annotator: Annotator, action: str = "undo",
                note: str | None = None) -> str | None:
    """Remove the annotator's label (undo of a create); returns the removed label."""
    current = session.scalars(select(Annotation).where(
        Annotation.sample_id == sample_id, Annotation.annotator_id == annotator.id)).one_or_none()
    if current is None:
        return None
    session.delete(current)
    session.add(AnnotationEvent(sample_id=sample_id, annotator_id=annotator.id, action=action,
                                old_label=current.label, new_label=None, note=note))
    session.flush()
    return current.label


def dataset_labels(session: Session, dataset_id: int) -> list[tuple[int, str, str, str | None]]:
    """(sample id, annotator name, label, note) for every current label of a dataset."""
    query = (select(Annotation.sample_id, Annotator.name, Annotation.label, Annotation.note)
             .join(Annotator, Annotator.id == Annotation.annotator_id)
             .join(Sample, Sample.id == Annotation.sample_id)
             .where(Sample.dataset_id == dataset_id)
             .order_by(Annotation.sample_id, Annotator.name))
    return [tuple(row) for row in session.execute(query)]


def label_times(session: Session, dataset_id: int) -> dict[tuple[int, str], datetime]:
    """(sample id, annotator name) -> when that current label (or its note) last changed."""
    query = (select(Annotation.sample_id, Annotator.name, Annotation.updated_at)
             .join(Annotator, Annotator.id == Annotation.annotator_id)
             .join(Sample, Sample.id == Annotation.sample_id)
             .where(Sample.dataset_id == dataset_id))
    return {(sid, name): at if at.tzinfo else at.replace(tzinfo=UTC)  # SQLite drops the zone
            for sid, name, at in session.execute(query)}


def dataset_ratings(session: Session, dataset_id: int) -> list[tuple[str, str, str]]:
    """(sample external id, annotator name, label) for every current label: agreement's input."""
    query = (select(Sample.external_id, Annotator.name, Annotation.label)
             .join(Annotation, Annotation.sample_id == Sample.id)
             .join(Annotator, Annotator.id == Annotation.annotator_id)
             .where(Sample.dataset_id == dataset_id)
             .order_by(Sample.id, Annotator.name))
    return [tuple(row) for row in session.execute(query)]


def sample_events(session: Session, sample_id: int) -> list[dict[str, Any]]:
    """The audit trail of one sample, oldest first."""
    query = (select(AnnotationEvent, Annotator.name)
             .join(Annotator, Annotator.id == AnnotationEvent.annotator_id)
             .where(AnnotationEvent.sample_id == sample_id)
             .order_by(AnnotationEvent.id))
    return [{"at": e.created_at, "annotator": name, "action": e.action, "old": e.old_label,
             "new": e.new_label, "note": e.note} for e, name in session.execute(query)]


MAJORITY_RULE = "majority rule"  # the system annotator that majority gold events are written by


def set_gold(session: Session, sample_id: int, label: str, source: str,
             provenance: dict[str, Any], decided_by: Annotator | None = None,
             note: str | None = None) -> None:
    """Create or replace the sample's gold label, with an event: an adjudication by
    `decided_by` ("adjudicate", with the adjudicator's `note`), a majority by the MAJORITY_RULE
    system annotator ("gold", its note naming the voters). The same decision again only
    refreshes the provenance (no event)."""
    gold = session.scalars(select(GoldLabel).where(GoldLabel.sample_id == sample_id)).one_or_none()
    old = gold.label if gold else None
    if gold is not None and (old, gold.source, gold.decided_by) == (
            label, source, decided_by.id if decided_by else None):
        gold.provenance = provenance  # the same decision; the votes behind it may have grown
        session.flush()
        return
    if gold is None:
        gold = GoldLabel(sample_id=sample_id, label=label, source=source)
        session.add(gold)
    gold.label, gold.source, gold.provenance = label, source, provenance
    gold.decided_by = decided_by.id if decided_by else None
    actor = decided_by or _majority_rule(session)
    session.add(AnnotationEvent(sample_id=sample_id, annotator_id=actor.id,
                                action="adjudicate" if decided_by else "gold", old_label=old,
                                new_label=label, note=note if decided_by else _voters(provenance)))
    session.flush()


def clear_gold(session: Session, sample_id: int, reason: str) -> str | None:
    """Remove a majority gold label that no longer holds (a tie, too few votes); an event by
    the MAJORITY_RULE annotator records it. Returns the removed label."""
    gold = session.scalars(select(GoldLabel).where(GoldLabel.sample_id == sample_id)).one_or_none()
    if gold is None:
        return None
    session.delete(gold)
    session.add(AnnotationEvent(sample_id=sample_id, annotator_id=_majority_rule(session).id,
                                action="gold", old_label=gold.label, new_label=None, note=reason))
    session.flush()
    return gold.label


def _majority_rule(session: Session) -> Annotator:
    return get_or_create_annotator(session, MAJORITY_RULE, role="system")


def _voters(provenance: dict[str, Any]) -> str:
    voters = provenance.get("voters") or {}
    return "majority of " + "; ".join(f"{label}: {', '.join(names)}"
                                      for label, names in voters.items())


def retry_conflicts(work: Callable[[], T], attempts: int = 8, base_delay: float = 0.05) -> T:
    """Run `work` (one whole transaction) again, with jittered back-off, when SQLite is busy or a
    concurrent writer won a unique-key race (two tabs creating the same annotator or label): the
    re-run reads the winner's row and updates it, so nothing is lost and nothing duplicated."""
    for attempt in range(attempts):
        try:
            return work()
        except (OperationalError, IntegrityError) as exc:
            text = str(exc).lower()
            conflict = isinstance(exc, IntegrityError) and "unique" in text
            if not (conflict or "locked" in text or "busy" in text) or attempt == attempts - 1:
                raise
            time.sleep(base_delay * (2**attempt) * (1 + random.random()))
    raise AssertionError("unreachable")
