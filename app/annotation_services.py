"""Services of the Annotation page: who annotates, the next item and why, labelling, undo,
progress, and the utterance's context, audio and facial-feature timeline. Plain functions that
take the workspace, so tests call them without Streamlit."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import select

from amm_core.cli.storage import Workspace
from annotations.queues import QueueChoice, QueueContext, QueueItem, next_item
from annotations.workflow import UNDOABLE, Event, live_events, undo_event
from app import annotation_checks as checks
from db import admin, crud, relabel
from db import annotations as store
from db import runs as db_runs
from db.models import AnnotationEvent, Annotator, GoldLabel, Sample

CONTEXT_UTTERANCES = 2  # shown before and after the current one


@dataclass
class ItemView:
    sample_id: int
    external_id: str
    text: str
    context: str | None
    session_id: str | None
    start_time: float | None
    stop_time: float | None
    reason: str
    before: list[str]
    after: list[str]
    meta: dict[str, Any]
    media_path: str | None
    media_kind: str | None = None
    votes: dict[str, str] | None = None  # set when the adjudicator is to decide the gold label

    @property
    def choice(self) -> QueueChoice:
        """What the queue chose, to keep this item on screen across reruns."""
        return QueueChoice(self.sample_id, self.reason, adjudicate=self.votes is not None)


def annotators(workspace: Workspace) -> list[tuple[str, str]]:
    with workspace.sessions() as session:
        found = session.scalars(select(Annotator).where(Annotator.role != "system")
                                .order_by(Annotator.name))
        return [(a.name, a.role) for a in found]


def ensure_annotator(workspace: Workspace, name: str, role: str) -> str:
    """Register a newcomer (with the role they may have, see `admin.new_person_role`); returns
    the person's stored role, which is what the page acts on (roles are granted, not chosen)."""
    name = checks.person_name(name)

    def work() -> str:
        with workspace.sessions() as session, session.begin():
            person = store.get_or_create_annotator(session, name,
                                                   admin.new_person_role(session, role))
            return person.role

    return store.retry_conflicts(work)


def label_set(workspace: Workspace, dataset: str) -> list[str]:
    with workspace.sessions() as session:
        found = crud.get_dataset(session, dataset)
        return list((found.label_sets or {}).get("emotion", [])) if found else []


def _samples_and_votes(workspace: Workspace, dataset: str):
    with workspace.sessions() as session:
        found = crud.get_dataset(session, dataset)
        if found is None:
            raise ValueError(f"unknown dataset '{dataset}'")
        samples = db_runs.dataset_samples(session, found.id)
        votes: dict[int, dict[str, str]] = {}
        for sid, name, label, _ in store.dataset_labels(session, found.id):
            votes.setdefault(sid, {})[name] = label
        gold = db_runs.gold_labels(session, found.id, source="adjudicated")
    samples.sort(key=lambda s: (s.session_id or "", s.start_time or 0.0, s.id))
    return samples, votes, gold


def next_view(workspace: Workspace, dataset: str, annotator: str, role: str, *,
              last_sample: int | None, skipped: set[int], overlap: int = 2,
              uncertainty_run: str | None = None, returning: int | None = None,
              current: QueueChoice | None = None) -> ItemView | None:
    """The next item for this annotator with the queue's reason, or None when all is done.
    With `uncertainty_run`, items that run is least sure about come before the rest;
    `returning` (the item whose label was just undone) comes before everything. `current` is
    the item on screen: while it is still in the dataset (and, for an adjudication, still
    undecided) it stays, whatever the queue would pick now (the page reruns on every widget
    change, and colleagues' labels move the queue). Neighbouring utterances are shown as
    context only within a session (MGID posts have none)."""
    samples, votes, adjudicated = _samples_and_votes(workspace, dataset)
    items = [QueueItem(s.id, s.session_id, i) for i, s in enumerate(samples)]
    uncertainty = _run_uncertainty(workspace, uncertainty_run, label_set(workspace, dataset))
    ctx = QueueContext(items=items, labels=votes, annotator=annotator, role=role,
                       overlap=overlap, last_sample=None if uncertainty else last_sample,
                       skipped=set(skipped), adjudicated=set(adjudicated), uncertainty=uncertainty,
                       relabel=_open_relabel_requests(workspace, dataset), returning=returning)
    present = {s.id for s in samples}
    stays = current is not None and current.sample_id in present and not (
        current.adjudicate and current.sample_id in adjudicated)
    choice = current if stays else next_item(ctx)
    if choice is None:
        return None
    index = next(i for i, s in enumerate(samples) if s.id == choice.sample_id)
    sample = samples[index]
    same = [s for s in samples if s.session_id == sample.session_id] if sample.session_id else [
        sample]
    here = same.index(sample)
    return ItemView(
        sample_id=sample.id, external_id=sample.external_id, text=sample.text,
        context=sample.context, session_id=sample.session_id, start_time=sample.start_time,
        stop_time=sample.stop_time, reason=choice.reason,
        before=[s.text for s in same[max(here - CONTEXT_UTTERANCES, 0):here]],
        after=[s.text for s in same[here + 1:here + 1 + CONTEXT_UTTERANCES]],
        meta=dict(sample.meta or {}), media_path=sample.media_path, media_kind=sample.media_kind,
        votes=dict(votes.get(sample.id, {})) if choice.adjudicate else None,
    )


def _open_relabel_requests(workspace: Workspace, dataset: str) -> dict[int, str]:
    """sample id -> "re-label requested by X: reason", oldest first; requests answered by a
    label given since (e.g. through `amm annotate import`) are closed first."""
    def work() -> dict[int, str]:
        with workspace.sessions() as session, session.begin():
            found = crud.get_dataset(session, dataset)
            if found is None:
                return {}
            requests = relabel.open_requests(session, found.id)
            if requests:
                events = _label_events(session, relabel.requested_samples(session, found.id))
                live = {e.seq for e in live_events(events)}
                undone = [e.seq for e in events if e.action in UNDOABLE and e.seq not in live]
                if relabel.resolve_answered(session, found.id, undone):
                    requests = relabel.open_requests(session, found.id)
        return {r.sample_id: f"re-label requested by {r.requested_by}: {r.reason}"
                for r in requests}

    return store.retry_conflicts(work)


def dataset_runs(workspace: Workspace, dataset: str) -> list[str]:
    """Completed runs on this dataset (for uncertainty sampling)."""
    with workspace.sessions() as session:
        found = crud.get_dataset(session, dataset)
        return [r.name for r in db_runs.list_runs(session)
                if found and r.dataset_id == found.id and r.status == "completed"]


def _run_uncertainty(workspace: Workspace, run_name: str | None,
                     labels: list[str]) -> dict[int, float] | None:
    """sample id -> the run's confidence on the emotion task: its top class's probability
    (for DAIC's sad / non-sad, max(p, 1 - p); for MGID's six emotions, the largest of six)."""
    if not run_name or not labels:
        return None
    with workspace.sessions() as session:
        run = crud.get_run(session, run_name)
        if run is None:
            return None
        return {p.sample_id: max(float(v) for v in p.probabilities.values())
                for p in db_runs.run_predictions(session, run.id)
                if p.task == "emotion" and p.probabilities}


def give_label(workspace: Workspace, sample_id: int, annotator: str, label: str,
               note: str | None) -> None:
    annotator = checks.person_name(annotator)
    checks.label_for_sample(workspace, sample_id, label)

    def work() -> None:
        with workspace.sessions() as session, session.begin():
            who = store.get_or_create_annotator(session, annotator)
            store.set_label(session, sample_id, who, label,
                            note if note and note.strip() else None)
            relabel.resolve_sample(session, sample_id)  # even a confirmed, unchanged label

    store.retry_conflicts(work)


def undo_last(workspace: Workspace, annotator: str, dataset: str | None = None) -> int | None:
    """Revert the annotator's latest label change (within `dataset` when given, so that the
    page undoes only what was done on the dataset in front of the user); returns the sample it
    touched (or None)."""
    def work() -> int | None:
        with workspace.sessions() as session, session.begin():
            who = store.get_or_create_annotator(session, annotator)
            query = select(AnnotationEvent).where(AnnotationEvent.annotator_id == who.id)
            if dataset is not None:
                found = crud.get_dataset(session, dataset)
                query = query.join(Sample, AnnotationEvent.sample_id == Sample.id).where(
                    Sample.dataset_id == (found.id if found else -1))
            rows = session.scalars(query.order_by(AnnotationEvent.id)).all()
            events = [Event(e.sample_id, annotator, e.action, e.old_label, e.new_label, e.note,
                            e.id) for e in rows]
            undo = undo_event(events, annotator)
            if undo is None:
                return None
            if undo.new_label is None:
                store.clear_label(session, undo.sample_id, who)
            else:
                store.set_label(session, undo.sample_id, who, undo.new_label, note=undo.note,
                                action="undo")
            _reopen_requests(session, undo.sample_id)
            return undo.sample_id

    return store.retry_conflicts(work)


def _label_events(session, sample_ids: list[int]) -> list[Event]:
    """Every annotation event of these samples, as workflow events (seq = event id)."""
    rows = session.execute(select(AnnotationEvent, Annotator.name)
                           .join(Annotator, AnnotationEvent.annotator_id == Annotator.id)
                           .where(AnnotationEvent.sample_id.in_(sample_ids))).all()
    return [Event(e.sample_id, name, e.action, e.old_label, e.new_label, e.note, e.id)
            for e, name in rows]


def _reopen_requests(session, sample_id: int) -> None:
    """A re-labelling request answered by the label just undone is open again."""
    live = live_events(_label_events(session, [sample_id]))
    relabel.reopen_unanswered(session, sample_id, [e.seq for e in live])


def progress(workspace: Workspace, dataset: str, annotator: str) -> dict[str, int]:
    samples, votes, _ = _samples_and_votes(workspace, dataset)
    return {"total": len(samples), "mine": sum(annotator in v for v in votes.values()),
            "any": sum(bool(v) for v in votes.values())}


def others_labels(workspace: Workspace, sample_id: int, annotator: str) -> dict[str, str]:
    """Other annotators' labels of a sample (shown only when blind mode is off)."""
    with workspace.sessions() as session:
        sample = session.get(Sample, sample_id)
        rows = store.dataset_labels(session, sample.dataset_id) if sample else []
    return {name: label for sid, name, label, _ in rows if sid == sample_id and name != annotator}


def history(workspace: Workspace, sample_id: int, only: str | None = None) -> list[dict[str, Any]]:
    """The item's event trail; with `only`, that annotator's events alone (blind mode: other
    people's labels, and gold labels that would reveal them, stay hidden)."""
    with workspace.sessions() as session:
        events = store.sample_events(session, sample_id)
    return [e for e in events if only is None or e["annotator"] == only]


def audio_clip(view: ItemView) -> bytes | None:
    """The utterance's WAV, cut from the session audio (offset-corrected), when it exists."""
    from amm_core.data.daic_audio import cut_audio

    path = view.meta.get("session_path")
    if not path or view.start_time is None or view.stop_time is None:
        return None
    return cut_audio(Path(path), view.session_id or "", view.start_time, view.stop_time,
                     float(view.meta.get("audio_offset", 0.0)))


def face_timeline(view: ItemView) -> pd.DataFrame:
    """Timestamp + the 38 OpenFace features inside the utterance window (empty when none)."""
    from amm_core.data.openface import utterance_frames

    if view.media_kind != "openface" or view.start_time is None or view.stop_time is None:
        return pd.DataFrame()
    return utterance_frames(Path(view.media_path), view.session_id or "", view.start_time,
                            view.stop_time)


def agreement(workspace: Workspace, dataset: str, bootstrap: int = 500) -> dict[str, Any]:
    """The agreement report of `amm annotate agreement`, for the Agreement page."""
    from annotations.agreement import agreement_report

    with workspace.sessions() as session:
        found = crud.get_dataset(session, dataset)
        if found is None:
            raise ValueError(f"unknown dataset '{dataset}'")
        ratings = store.dataset_ratings(session, found.id)
    return agreement_report(ratings, labels=label_set(workspace, dataset) or None,
                            bootstrap=bootstrap)


def disagreements(workspace: Workspace, dataset: str) -> list[dict[str, Any]]:
    """Items whose annotators disagree and that have no adjudicated gold label yet."""
    samples, votes, _ = _samples_and_votes(workspace, dataset)
    with workspace.sessions() as session:
        found = crud.get_dataset(session, dataset)
        adjudicated = {g.sample_id for g in session.scalars(
            select(GoldLabel).where(GoldLabel.source == "adjudicated"))} if found else set()
    by_id = {s.id: s for s in samples}
    return [{"sample_id": sid, "external_id": by_id[sid].external_id, "text": by_id[sid].text,
             "context": by_id[sid].context, "labels": given}
            for sid, given in votes.items()
            if len(set(given.values())) > 1 and sid not in adjudicated and sid in by_id]


def adjudicate(workspace: Workspace, sample_id: int, label: str, adjudicator: str,
               labels: dict[str, str], note: str | None = None) -> None:
    checks.label_for_sample(workspace, sample_id, label)

    def work() -> None:
        with workspace.sessions() as session, session.begin():
            judge = admin.adjudicator(session, adjudicator)  # the role is checked here
            store.set_gold(session, sample_id, label, "adjudicated",
                           {"adjudicator": adjudicator, "votes": labels}, decided_by=judge,
                           note=note if note and note.strip() else None)

    store.retry_conflicts(work)
