"""Services of the Label issues page: rank the samples whose given label a run confidently
contradicts (amm_core.label_issues), on predictions the run did not train on when it has them,
and send chosen samples back to the annotation queue with a reason.

Only emotion issues can be sent (choice): the annotation queue labels emotion only, so a
depression issue sent there would be "resolved" by an emotion label. Depression labels come from
the corpus (PHQ-8 for DAIC, MGID's Depression Label column): fix them at the source and
re-import."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from amm_core.cli.storage import Workspace
from amm_core.label_issues import LabelIssue, issues_from_predictions
from app.thumbnail_cache import thumbnail
from db import annotations as store
from db import crud, relabel
from db import runs as db_runs
from db.models import Sample

# split choice -> which samples' predictions are used; only "train" is in-sample.
SPLIT_CHOICES = ("held-out", "dev", "test", "train")
HELD_OUT_NOTE = ("out of fold: predictions on samples the run did not train on (the dev split "
                 "did choose the best epoch)")
IN_SAMPLE_NOTE = ("in-sample: the run trained on these samples, so it tends to agree with their "
                  "labels; treat the ranking as a weak signal")
RELABEL_TASKS = ("emotion",)  # what the annotation queue labels
NOT_RELABELLED = ("depression labels are not re-labelled in the annotation queue (it labels "
                  "emotion only): they come from the corpus (PHQ-8 for DAIC, MGID's Depression "
                  "Label column), so fix the label at its source and re-import the dataset")


@dataclass
class IssueReport:
    run: str
    task: str
    splits: str  # the split choice that was used
    in_sample: bool
    note: str
    checked: int  # labelled samples whose predictions were looked at
    rows: list[dict[str, Any]] = field(default_factory=list)


def issue_runs(workspace: Workspace) -> list[str]:
    """Finished runs (completed or cancelled) that stored predictions."""
    with workspace.sessions() as session:
        return [r.name for r in db_runs.list_runs(session)
                if r.status in ("completed", "cancelled") and r.checkpoint_path]


def run_tasks(workspace: Workspace, run_name: str) -> list[str]:
    with workspace.sessions() as session:
        run = crud.get_run(session, run_name)
        if run is None:
            return []
        return sorted({p.task for p in db_runs.run_predictions(session, run.id)})


def _given(sample: Sample, task: str, labels: list[str], gold: dict[int, str]) -> str | None:
    """The sample's given label name (the gold label wins for emotion, as in training)."""
    if task == "depression":
        value = sample.depression_label
        return labels[value] if value is not None and 0 <= value < len(labels) else None
    return gold.get(sample.id, sample.emotion_label)


def _in_choice(split: str | None, choice: str) -> bool:
    return split != "train" if choice == "held-out" else split == choice


def label_issues(workspace: Workspace, run_name: str, task: str, splits: str | None = None,
                 limit: int = 100) -> IssueReport:
    """Ranked label issues of one run and task. `splits` None picks held-out predictions when
    there are labelled ones, else the train split (flagged in-sample). ValueError (one line)
    for an unknown run, a task the run did not learn, or a run without predictions."""
    if splits is not None and splits not in SPLIT_CHOICES:
        raise ValueError(f"unknown split choice '{splits}' (valid: {', '.join(SPLIT_CHOICES)})")
    with workspace.sessions() as session:
        run = crud.get_run(session, run_name)
        if run is None:
            raise ValueError(f"unknown run '{run_name}'")
        predictions = [p for p in db_runs.run_predictions(session, run.id) if p.task == task]
        if not predictions:
            learned = sorted({p.task for p in db_runs.run_predictions(session, run.id)})
            raise ValueError(f"run '{run_name}' has no {task} predictions "
                             f"(it predicts: {', '.join(learned) or 'nothing yet'})")
        samples = {s.id: s for s in db_runs.dataset_samples(session, run.dataset_id)}
        gold = db_runs.gold_labels(session, run.dataset_id)
    labels = list(predictions[0].probabilities)
    records = [{"sample_id": p.sample_id, "probabilities": p.probabilities,
                "split": samples[p.sample_id].split,
                "given": _given(samples[p.sample_id], task, labels, gold)}
               for p in predictions if p.sample_id in samples]
    labelled = [r for r in records if r["given"] is not None]
    if splits is None:
        splits = "held-out" if any(_in_choice(r["split"], "held-out") for r in labelled) \
            else "train"
    chosen = [r for r in labelled if _in_choice(r["split"], splits)]
    issues = issues_from_predictions(chosen, labels, limit=limit)
    with workspace.sessions() as session:
        requested = relabel.sample_requests(session, [i.sample_id for i in issues])
    rows = [_row(samples[i.sample_id], i, requested) for i in issues]
    in_sample = splits == "train"
    return IssueReport(run=run_name, task=task, splits=splits, in_sample=in_sample,
                       note=IN_SAMPLE_NOTE if in_sample else HELD_OUT_NOTE, checked=len(chosen),
                       rows=rows)


def _row(sample: Sample, issue: LabelIssue, requested: dict[int, Any]) -> dict[str, Any]:
    status = ("open" if requested[sample.id] is None else "resolved") \
        if sample.id in requested else ""
    return {
        "sample_id": sample.id, "external_id": sample.external_id, "split": sample.split,
        "text": sample.text, "media_path": sample.media_path, "media_kind": sample.media_kind,
        "given": issue.given, "suggested": issue.suggested,
        "confidence": issue.suggested_probability, "given_probability": issue.given_probability,
        "margin": issue.margin, "re-label request": status,
    }


def card_image(workspace: Workspace, row: dict[str, Any]) -> Path | None:
    """The cached thumbnail of an issue row's image; None when it is missing or unreadable."""
    if row["media_kind"] != "image" or not row["media_path"]:
        return None
    return thumbnail(row["media_path"], workspace.settings.cache_dir)


def media_note(row: dict[str, Any]) -> str:
    """What an issue card shows instead of a picture."""
    if row["media_kind"] == "image" and row["media_path"]:
        gone = not Path(row["media_path"]).is_file()
        return "🖼️ image missing" if gone else "🖼️ image unreadable"
    return row["media_kind"] or "text only"


def send_to_relabel(workspace: Workspace, run_name: str | None, sample_ids: list[int],
                    reason: str, requested_by: str, task: str = "emotion") -> int:
    """Open a re-labelling request per sample (served first in the annotation queue); returns
    how many were created (samples with an open request are left alone). ValueError when the
    task is not one the queue labels (`RELABEL_TASKS`), no sample is chosen or the reason or the
    name is empty; nothing is written then."""
    if task not in RELABEL_TASKS:
        raise ValueError(NOT_RELABELLED if task == "depression"
                         else f"{task} labels cannot be sent to re-labelling")
    if not sample_ids:
        raise ValueError("choose at least one sample to send to re-labelling")
    if not requested_by.strip():
        raise ValueError("enter your name in the sidebar: every request is attributed")
    if not reason.strip():
        raise ValueError("give a reason: the annotator sees it in the queue")

    def work() -> int:
        with workspace.sessions() as session, session.begin():
            run = crud.get_run(session, run_name) if run_name else None
            return relabel.create_requests(session, sample_ids, reason, requested_by,
                                           run_id=run.id if run else None)

    return store.retry_conflicts(work)
