"""Explain page services: what can be explained (finished runs, dataset samples, stored uploads)
and the explanations themselves, as plain data. Errors are CommandError with one line.

Plain functions taking the workspace (and the Predictor from app.deps), testable without
Streamlit. Nothing here writes to the database.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select

from amm_core.cli.output import CommandError, one_line
from amm_core.cli.storage import Workspace
from amm_core.data.records import Sample as SampleRecord
from db import crud
from db.models import Dataset, Sample, Upload
from db.runs import gold_labels, list_runs

SEARCH_LIMIT = 50


@dataclass(frozen=True)
class Subject:
    """What the page explains: a stored sample or a stored upload."""

    kind: str  # "sample" | "upload"
    key: str  # sample id (as text) or upload sha256
    label: str  # e.g. "demo-mgid / train:0" or "upload 3f2a9c01…"
    text: str
    media_path: str | None
    media_kind: str | None  # image | video | openface | None
    gender: str | None

    @property
    def image_path(self) -> str | None:
        """The picture to overlay, when there is one on disk."""
        if self.media_kind == "image" and self.media_path and Path(self.media_path).is_file():
            return self.media_path
        return None


def explain_runs(workspace: Workspace) -> list[dict[str, Any]]:
    """Completed runs with a checkpoint, newest first: name, dataset, variant, modalities."""
    with workspace.sessions() as session:
        names = {d.id: d.name for d in crud.list_datasets(session)}
        return [
            {"name": r.name, "dataset": names.get(r.dataset_id, "—"), "variant": r.variant,
             "modalities": r.modalities}
            for r in list_runs(session) if r.status == "completed" and r.checkpoint_path
        ]


def dataset_names(workspace: Workspace, first: str | None = None) -> list[str]:
    """Every dataset, the run's own one (`first`) at the top."""
    with workspace.sessions() as session:
        names = [d.name for d in crud.list_datasets(session)]
    return sorted(names, key=lambda n: n != first)


def search_samples(
    workspace: Workspace, dataset: str, query: str = "", limit: int = SEARCH_LIMIT
) -> list[dict[str, Any]]:
    """Samples whose external id or text contains `query` (exact id first), up to `limit`."""
    query = query.strip()
    with workspace.sessions() as session:
        found = crud.get_dataset(session, dataset)
        if found is None:
            raise CommandError(f"unknown dataset '{dataset}'")
        statement = select(Sample).where(Sample.dataset_id == found.id)
        if query:
            pattern = f"%{query}%"
            statement = statement.where(or_(Sample.external_id.ilike(pattern),
                                            Sample.text.ilike(pattern)))
        rows = session.scalars(statement.order_by(Sample.id).limit(limit)).all()
        out = [{"sample_id": r.id, "external_id": r.external_id, "split": r.split,
                "text": r.text or "", "media_kind": r.media_kind} for r in rows]
    return sorted(out, key=lambda r: r["external_id"] != query)


def sample_location(workspace: Workspace, sample_id: int) -> dict[str, Any] | None:
    """{"dataset", "external_id"} of a sample id (a hand-off from another page), or None."""
    with workspace.sessions() as session:
        row = session.execute(select(Dataset.name, Sample.external_id)
                              .join(Dataset, Dataset.id == Sample.dataset_id)
                              .where(Sample.id == sample_id)).first()
    return None if row is None else {"dataset": row[0], "external_id": row[1]}


def recent_uploads(
    workspace: Workspace, limit: int = SEARCH_LIMIT, include: str | None = None
) -> list[dict[str, Any]]:
    """Stored uploads, newest first (plus `include`, a hash handed over, wherever it is):
    sha256, text, media kind, original file name."""
    with workspace.sessions() as session:
        rows = list(session.scalars(select(Upload).order_by(Upload.created_at.desc(),
                                                            Upload.id.desc()).limit(limit)))
        if include and all(u.sha256 != include for u in rows):
            rows += session.scalars(select(Upload).where(Upload.sha256 == include)).all()
        return [{"sha256": u.sha256, "text": u.text or "", "media_kind": u.media_kind,
                 "original_name": u.original_name} for u in rows]


def load_subject(workspace: Workspace, kind: str, key: str) -> Subject:
    """The sample (kind "sample", key = id) or upload (kind "upload", key = sha256)."""
    with workspace.sessions() as session:
        if kind == "sample":
            row = session.get(Sample, int(key))
            if row is None:
                raise CommandError(f"sample {key} no longer exists")
            dataset = session.get(Dataset, row.dataset_id)
            return Subject("sample", str(row.id), f"{dataset.name} / {row.external_id}",
                           row.text or "", row.media_path, row.media_kind, row.gender)
        upload = session.scalars(select(Upload).where(Upload.sha256 == key)).one_or_none()
        if upload is None:
            raise CommandError(f"no stored upload with hash {key[:12]}…")
        return Subject("upload", upload.sha256, f"upload {upload.sha256[:12]}…",
                       upload.text or "", upload.media_path, upload.media_kind, upload.gender)


def task_options(predictor: Any) -> list[str]:
    """The run's tasks, the main task first."""
    from amm_core.train import main_task, model_tasks

    untrained = getattr(predictor, "untrained_tasks", ())
    tasks = [t for t in model_tasks(predictor.model) if t not in untrained]
    return sorted(tasks, key=lambda t: t != main_task(predictor.config))


def class_options(predictor: Any, task: str) -> list[str]:
    from amm_core.explain import class_names
    from amm_core.model.amm import task_classes

    return class_names(predictor, task, task_classes(predictor.config.model)[task])


def explain(
    workspace: Workspace, predictor: Any, subject: Subject, task: str, target: str | None
) -> Any:
    """The `amm_core.explain.Explanation` of `task` (class `target`, None = predicted)."""
    from amm_core.explain import explain_item

    item, kind, notes = _item(workspace, predictor, subject)
    try:
        explanation = explain_item(predictor, item, task, target, visual_kind=kind)
    except ValueError as exc:
        raise CommandError(one_line(str(exc))) from exc
    explanation.notes = notes + explanation.notes
    return explanation


def pixel_map(
    workspace: Workspace, predictor: Any, subject: Subject, task: str, target: int,
    progress: Callable[[float], None] | None = None,
) -> Any:
    """(H, W) numpy pixel attribution of the subject's picture (occlusion)."""
    from amm_core.explain import pixel_attribution

    if subject.image_path is None:
        raise CommandError("pixel attribution needs a picture, and this item has none")
    item, _, _ = _item(workspace, predictor, subject)
    try:
        return pixel_attribution(predictor, subject.image_path, task, target, progress=progress,
                                 item=item)
    except ValueError as exc:
        raise CommandError(one_line(str(exc))) from exc


def can_explain_pixels(predictor: Any, subject: Subject) -> bool:
    from amm_core.predict import VISION_FEATURES

    return (subject.image_path is not None and "image" in predictor.modalities
            and predictor.config.model.visual_dim == VISION_FEATURES)


def _item(
    workspace: Workspace, predictor: Any, subject: Subject
) -> tuple[Any, str | None, list[str]]:
    """The subject's feature item through the workspace cache, its visual kind, and notes."""
    try:
        if subject.kind == "upload":
            return _upload_item(predictor, subject)
        return _sample_item(workspace, predictor, subject), subject.media_kind, []
    except ValueError as exc:
        raise CommandError(one_line(str(exc))) from exc


def _upload_item(predictor: Any, subject: Subject) -> tuple[Any, str | None, list[str]]:
    from amm_core.uploads import upload_rules

    media = Path(subject.media_path) if subject.media_path else None
    if media is not None and not media.is_file():
        raise CommandError(f"the upload's {subject.media_kind or 'media'} file is missing from "
                           "the workspace")
    model = predictor.config.model
    reason = upload_rules(model.modalities, model.visual_dim).media_reason
    if media is None or reason is None:
        notes = []
    else:  # another run stored this upload: explain what this run can read, and say so
        media, notes = None, [f"the upload's {subject.media_kind} is left out: {reason}"]
    if not subject.text.strip() and media is None:
        raise CommandError("this run cannot read the upload's picture and the upload has no text")
    item = predictor.upload_item(subject.text, media, subject.gender,
                                 kind=subject.media_kind if media is not None else None)
    return item, subject.media_kind if media is not None else None, notes


def _sample_item(workspace: Workspace, predictor: Any, subject: Subject) -> Any:
    from amm_core.dataset import featurize_samples

    with workspace.sessions() as session:
        row = session.get(Sample, int(subject.key))
        dataset = session.get(Dataset, row.dataset_id)
        gold = gold_labels(session, dataset.id)
        record = SampleRecord(
            external_id=row.external_id, split=row.split, text=row.text or "",
            media_path=row.media_path, media_kind=row.media_kind, session_id=row.session_id,
            start_time=row.start_time, stop_time=row.stop_time, gender=row.gender,
            depression_label=row.depression_label,
            emotion_label=gold.get(row.id, row.emotion_label))
        label_sets = dict(dataset.label_sets or {})
    return featurize_samples([record], predictor.config.features, workspace.settings.cache_dir,
                             label_sets, device=str(predictor.device))[0]
