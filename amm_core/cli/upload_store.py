"""Predict one upload with a run and store it by content hash: the one path shared by
`amm predict --text/--image/--video` and the dashboard's Upload page (app.upload_services).

Order: check the input (amm_core.uploads) -> stage the media in `<media>/uploads/` under a temporary
name -> decode-check a video -> predict -> in one transaction upsert the `uploads` row and the run's
`upload_predictions`, and rename the staged file to `<sha256><ext>`. Any failure removes the
staged file and rolls the transaction back: nothing is stored.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.exc import IntegrityError

from amm_core.cli.output import CommandError, one_line
from amm_core.cli.storage import Workspace
from amm_core.config import RunConfig
from amm_core.uploads import CheckedUpload, check_upload, check_video_decodes, upload_rules
from db import crud
from db import uploads as db_uploads

UPLOADS_FOLDER = "uploads"  # inside the workspace's media folder


class UploadPredictor(Protocol):
    """What storing needs from amm_core.predict.Predictor (tests may pass a stand-in)."""

    config: RunConfig

    def predict_upload(self, text: str, media: Path | None = None,
                       gender: str | None = None) -> dict[str, Any]: ...


@dataclass(frozen=True)
class UploadRequest:
    text: str | None
    media: bytes | None = None
    media_name: str | None = None  # the user's file name: messages and display only
    gender: str | None = None
    expected_kind: str | None = None  # "image" | "video" when the caller said which


@dataclass(frozen=True)
class StoredUpload:
    sha256: str
    run: str
    predictions: dict[str, dict[str, Any]]  # task -> {"label", "probabilities"}
    device: str
    latency_ms: float
    media_kind: str | None
    notes: tuple[str, ...] = ()  # e.g. "this run reads images only; it ignores text"
    created: bool = True  # False when the same upload was already stored


def uploads_dir(workspace: Workspace) -> Path:
    return workspace.settings.media_dir / UPLOADS_FOLDER


def predict_and_store(
    workspace: Workspace, run_name: str, predictor: UploadPredictor, request: UploadRequest
) -> StoredUpload:
    """Predict with the run's predictor and store the upload; CommandError (one line) if not."""
    model = predictor.config.model
    rules = upload_rules(model.modalities, model.visual_dim)
    try:
        checked = check_upload(
            request.text, request.media, request.media_name, request.gender,
            expected_kind=request.expected_kind, config=predictor.config.features)
    except ValueError as exc:
        raise CommandError(one_line(str(exc))) from exc
    if checked.media is not None and rules.media_reason:
        raise CommandError(rules.media_reason)
    if checked.media is None and not rules.uses_text:
        raise CommandError("this run reads images only: add an image or a video")
    run_id = _run_id(workspace, run_name)
    folder = uploads_dir(workspace)
    new_folder = not folder.exists()
    staged = _stage(folder, checked)
    try:
        result = _predict(predictor, checked, staged, rules.uses_text)
        try:
            created = _store(workspace, run_id, checked, result, staged)
        except IntegrityError:  # the same upload stored at the same moment elsewhere: now upsert
            created = _store(workspace, run_id, checked, result, staged)
    finally:
        if staged is not None:
            staged.unlink(missing_ok=True)
        if new_folder and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()  # a refused first upload leaves the media folder as it was
    notes = (rules.text_reason,) if checked.text and rules.text_reason else ()
    notes += tuple(f"no {task} prediction: this run had no {task} label to learn from"
                   for task in getattr(predictor, "untrained_tasks", ()))
    return StoredUpload(sha256=checked.sha256, run=run_name, predictions=result["predictions"],
                        device=result["device"], latency_ms=result["latency_ms"],
                        media_kind=checked.media_kind, notes=notes, created=created)


def _run_id(workspace: Workspace, run_name: str) -> int:
    with workspace.sessions() as session:
        run = crud.get_run(session, run_name)
        if run is None:
            raise CommandError(f"unknown run '{run_name}'")
        return run.id


def _stage(folder: Path, checked: CheckedUpload) -> Path | None:
    """The media bytes in a temporary file beside their final place (same file system)."""
    if checked.media is None:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=".staging-", suffix=checked.extension, dir=folder)
    with os.fdopen(handle, "wb") as out:
        out.write(checked.media)
    os.chmod(name, 0o644)  # mkstemp makes it private; uploads are workspace files like the rest
    return Path(name)


def _predict(predictor: UploadPredictor, checked: CheckedUpload, staged: Path | None,
             uses_text: bool) -> dict[str, Any]:
    name = checked.display_name or "upload"
    try:
        if checked.media_kind == "video" and staged is not None:
            check_video_decodes(staged, name)
        return predictor.predict_upload(checked.text if uses_text else "", staged, checked.gender)
    except ValueError as exc:
        message = one_line(str(exc))
        if staged is not None:  # the featurizers name the staged file: name the user's instead
            message = message.replace(staged.name, name)
        raise CommandError(message) from exc


def _store(workspace: Workspace, run_id: int, checked: CheckedUpload, result: dict[str, Any],
           staged: Path | None) -> bool:
    """Rows and file together: the rename happens inside the transaction, before its commit."""
    final = uploads_dir(workspace) / checked.file_name if checked.file_name else None
    moved = False
    try:
        with workspace.sessions() as session, session.begin():
            upload, created = db_uploads.upsert_upload(
                session, checked.sha256, text=checked.text,
                media_path=str(final) if final else None, media_kind=checked.media_kind,
                original_name=checked.display_name, gender=checked.gender)
            db_uploads.upsert_upload_predictions(session, upload.id, run_id,
                                                 _prediction_rows(result))
            if staged is not None and final is not None and not final.exists():
                os.replace(staged, final)
                moved = True
    except BaseException:
        if moved and final is not None:
            final.unlink(missing_ok=True)
        raise
    return created


def _prediction_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"task": task, "label": value["label"], "probabilities": value["probabilities"],
         "device": result["device"], "latency_ms": result["latency_ms"]}
        for task, value in result["predictions"].items()
    ]
