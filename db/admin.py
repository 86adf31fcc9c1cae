"""Roles and destructive actions: granting roles, deleting a dataset, a run or a person's labels.

Each of these needs the admin role (the first admin is bootstrapped explicitly, only while there
is none) and leaves a row in `audit_events` in the same transaction. Once an admin exists the
workspace is *governed*: new people start as annotators and only an admin grants other roles.
Callers own the transaction (`with session.begin()`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from db.annotations import MAJORITY_RULE
from db.models import (
    ANNOTATOR_ROLES,
    Annotation,
    AnnotationEvent,
    Annotator,
    AuditEvent,
    Dataset,
    ModelRun,
    Sample,
)

ADJUDICATING_ROLES = ("adjudicator", "admin")


class PermissionDenied(ValueError):
    """The person lacks the role an action needs; the message is one line saying which."""


def find_person(session: Session, name: str) -> Annotator | None:
    return session.scalars(select(Annotator).where(Annotator.name == name.strip())).one_or_none()


def admin_exists(session: Session) -> bool:
    return _admin_count(session) > 0


def _admin_count(session: Session) -> int:
    return session.scalar(select(func.count(Annotator.id)).where(Annotator.role == "admin"))


def new_person_role(session: Session, wanted: str) -> str:
    """The role a newcomer gets: what they ask for (never admin) until an admin exists, then
    always "annotator" (roles are granted, not chosen)."""
    if wanted == "admin" or admin_exists(session):
        return "annotator"
    return wanted if wanted in ANNOTATOR_ROLES else "annotator"


def require_role(session: Session, name: str, roles: tuple[str, ...], action: str) -> Annotator:
    """The person called `name` when their stored role is one of `roles`; PermissionDenied."""
    person = find_person(session, name)
    if person is None or person.role not in roles:
        has = f"is {person.role}" if person else "is not registered"
        raise PermissionDenied(f"{action} needs the {' or '.join(roles)} role; '{name}' {has}")
    return person


def adjudicator(session: Session, name: str) -> Annotator:
    """The person adjudicating: someone with the adjudicator or admin role, or, while no admin
    exists, a newcomer registered as adjudicator. PermissionDenied otherwise (nothing written)."""
    if find_person(session, name) is None and not admin_exists(session):
        session.add(Annotator(name=name.strip(), role="adjudicator"))
        session.flush()
    return require_role(session, name, ADJUDICATING_ROLES, "adjudication")


def audit(session: Session, actor: str, action: str, target_kind: str, target: str,
          detail: dict[str, Any]) -> None:
    session.add(AuditEvent(actor=actor, action=action, target_kind=target_kind, target=target,
                           detail=detail))
    session.flush()


def grant_role(session: Session, name: str, role: str, actor: str,
               bootstrap: bool = False) -> Annotator:
    """Give `name` the role (creating the person if needed). `bootstrap` makes `name` the first
    admin and is refused once any admin exists."""
    if role not in ANNOTATOR_ROLES:
        raise ValueError(f"unknown role '{role}' (valid: {', '.join(ANNOTATOR_ROLES)})")
    if bootstrap:
        if admin_exists(session):
            raise PermissionDenied("--bootstrap is only for the first admin; an admin exists, "
                                   "so an admin must grant roles (--actor ADMIN)")
        if role != "admin":
            raise ValueError("--bootstrap grants the admin role only (--role admin)")
        actor = name
    else:
        require_role(session, actor, ("admin",), "granting roles")
    person = find_person(session, name)
    old = person.role if person else None
    if old == "system" or name.strip().casefold() == MAJORITY_RULE:
        raise ValueError(f"'{name.strip()}' is the system annotator of majority gold labels")
    if old == "admin" and role != "admin" and _admin_count(session) == 1:
        raise PermissionDenied(f"'{person.name}' is the only admin; grant another admin first "
                               "(otherwise anyone could bootstrap a new one)")
    if person is None:
        person = Annotator(name=name.strip(), role=role)
        session.add(person)
    person.role = role
    audit(session, actor, "grant", "annotator", person.name,
          {"old_role": old, "new_role": role, "bootstrap": bootstrap})
    return person


def delete_dataset(session: Session, name: str, actor: str) -> dict[str, Any]:
    """Delete a dataset with its samples, labels, gold labels and predictions (runs stay, with
    no dataset)."""
    require_role(session, actor, ("admin",), "deleting a dataset")
    dataset = session.scalars(select(Dataset).where(Dataset.name == name)).one_or_none()
    if dataset is None:
        raise ValueError(f"unknown dataset '{name}'")
    samples = session.scalar(select(func.count(Sample.id)).where(Sample.dataset_id == dataset.id))
    labels = session.scalar(select(func.count(Annotation.id)).join(Sample)
                            .where(Sample.dataset_id == dataset.id))
    detail = {"kind": dataset.kind, "samples": samples, "labels": labels}
    session.execute(delete(Dataset).where(Dataset.id == dataset.id))  # the database cascades
    audit(session, actor, "delete", "dataset", name, detail)
    return {"dataset": name, **detail}


def delete_run(session: Session, name: str, actor: str) -> dict[str, Any]:
    """Delete a run row and its predictions; returns its checkpoint path for the caller."""
    require_role(session, actor, ("admin",), "deleting a run")
    run = session.scalars(select(ModelRun).where(ModelRun.name == name)).one_or_none()
    if run is None:
        raise ValueError(f"unknown run '{name}'")
    detail = {"status": run.status, "variant": run.variant, "checkpoint": run.checkpoint_path}
    session.execute(delete(ModelRun).where(ModelRun.id == run.id))
    audit(session, actor, "delete", "run", name, detail)
    return {"run": name, **detail}


def delete_labels(session: Session, annotator: str, actor: str) -> dict[str, Any]:
    """Remove every current label of `annotator`; each removal stays in the event trail as a
    'delete' event of that annotator (so replaying the events still gives the current labels)."""
    require_role(session, actor, ("admin",), "deleting labels")
    person = find_person(session, annotator)
    if person is None:
        raise ValueError(f"unknown annotator '{annotator}'")
    labels = session.scalars(select(Annotation).where(Annotation.annotator_id == person.id)).all()
    for label in labels:
        session.add(AnnotationEvent(sample_id=label.sample_id, annotator_id=person.id,
                                    action="delete", old_label=label.label, new_label=None,
                                    note=f"deleted by admin {actor}"))
        session.delete(label)
    audit(session, actor, "delete", "labels", person.name, {"labels": len(labels)})
    return {"annotator": person.name, "labels_deleted": len(labels)}


def people(session: Session) -> list[dict[str, Any]]:
    """Everyone who annotates, with their role and current label count (not the system
    annotator that writes majority gold events)."""
    counts = dict(session.execute(select(Annotation.annotator_id, func.count(Annotation.id))
                                  .group_by(Annotation.annotator_id)).all())
    found = session.scalars(select(Annotator).where(Annotator.role != "system")
                            .order_by(Annotator.name))
    return [{"name": a.name, "role": a.role, "labels": counts.get(a.id, 0)} for a in found]


def audit_log(session: Session, limit: int = 200) -> list[dict[str, Any]]:
    """The latest administrative actions, newest first."""
    rows = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit))
    return [{"at": e.created_at, "actor": e.actor, "action": e.action, "kind": e.target_kind,
             "target": e.target, "detail": e.detail} for e in rows]
