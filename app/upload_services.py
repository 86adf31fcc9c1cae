"""Upload & predict: which runs can take which parts of an upload, predict and store an upload
(the same code as `amm predict --text/--image/--video`), and the upload history.

Plain functions taking the workspace (and the Predictor, so tests can pass a stand-in).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from amm_core.cli.output import CommandError, one_line
from amm_core.cli.storage import Workspace
from amm_core.cli.upload_store import (
    StoredUpload,
    UploadPredictor,
    UploadRequest,
    predict_and_store,
)
from amm_core.config import ModelConfig
from amm_core.uploads import (
    ACCEPTED_SUFFIXES,
    MAX_MEDIA_BYTES,
    MAX_TEXT_CHARS,
    MAX_VIDEO_SECONDS,
    upload_rules,
)
from db import uploads as db_uploads
from db.runs import list_runs

MEDIA_TYPES = list(ACCEPTED_SUFFIXES)  # for st.file_uploader(type=...)


def limits_note(server_upload_mb: int | None = None) -> str:
    """The limits as the user meets them: the smaller of ours and the server's upload cap
    (`server.maxUploadSize`, 50 MB in this project's .streamlit/config.toml), which the file
    uploader enforces before our own check ever sees the file."""
    media_mb = MAX_MEDIA_BYTES // 2**20
    if server_upload_mb:
        media_mb = min(media_mb, int(server_upload_mb))
    return (f"Limits: text up to {MAX_TEXT_CHARS:,} characters; an image or video up to "
            f"{media_mb} MB; videos up to {MAX_VIDEO_SECONDS / 60:.0f} minutes.")


@dataclass(frozen=True)
class RunChoice:
    """A finished run as the Upload page offers it, with what it can read and why not."""

    name: str
    dataset: str
    variant: str
    modalities: str
    accepts_media: bool
    uses_text: bool
    media_reason: str | None
    text_reason: str | None

    @property
    def summary(self) -> str:
        return f"{self.variant} on {self.dataset} · trained on {self.modalities}"


def run_choices(workspace: Workspace) -> list[RunChoice]:
    """Completed runs with a checkpoint, newest first."""
    from db import crud

    with workspace.sessions() as session:
        datasets = {d.id: d.name for d in crud.list_datasets(session)}
        runs = [r for r in list_runs(session) if r.status == "completed" and r.checkpoint_path]
        return [_choice(run, datasets.get(run.dataset_id, "—")) for run in runs]


def _choice(run: Any, dataset: str) -> RunChoice:
    model = (run.config or {}).get("model", {})
    modalities = model.get("modalities", run.modalities)
    rules = upload_rules(modalities, int(model.get("visual_dim", ModelConfig.visual_dim)))
    variant = run.variant + (f" ({run.task})" if run.task else "")
    return RunChoice(name=run.name, dataset=dataset, variant=variant, modalities=modalities,
                     accepts_media=rules.accepts_media, uses_text=rules.uses_text,
                     media_reason=rules.media_reason, text_reason=rules.text_reason)


def predict_upload(
    workspace: Workspace, run_name: str, predictor: UploadPredictor, *, text: str | None,
    media: bytes | None = None, media_name: str | None = None, gender: str | None = None,
) -> StoredUpload:
    """Check, predict and store; amm_core.cli.output.CommandError (one line) when the upload or
    the prediction fails, and then nothing is stored."""
    request = UploadRequest(text=text, media=media, media_name=media_name, gender=gender)
    try:
        return predict_and_store(workspace, run_name, predictor, request)
    except CommandError:
        raise
    except Exception as exc:  # a page shows one line, never a traceback; nothing was stored
        raise CommandError(f"prediction failed ({type(exc).__name__}: {one_line(str(exc))})") \
            from exc


def outcome_view(stored: StoredUpload) -> dict[str, Any]:
    """A stored upload's result as plain data (kept in the page's session state)."""
    return asdict(stored)


def upload_history(workspace: Workspace, limit: int = 50) -> list[dict[str, Any]]:
    """One row per upload and run, the most recently predicted upload first."""
    with workspace.sessions() as session:
        history = db_uploads.upload_history(session, limit)
    rows = []
    for upload in history:
        for run_name, entry in upload["runs"].items():
            rows.append({
                "predicted at": entry["predicted_at"], "run": run_name,
                "text": _short(upload["text"]), "media": _media(upload),
                "gender": upload["gender"],
                **{task: _label(value) for task, value in entry["tasks"].items()},
                "device": entry["device"], "latency ms": entry["latency_ms"],
                "upload": upload["sha256"][:12],
            })
    return rows


def _short(text: str, width: int = 80) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _media(upload: dict[str, Any]) -> str:
    if not upload["media_kind"]:
        return "—"
    return f"{upload['media_kind']}: {upload['original_name'] or 'unnamed'}"


def _label(task: dict[str, Any]) -> str:
    probability = task["probabilities"].get(task["label"])
    return task["label"] if probability is None else f"{task['label']} ({probability:.2f})"
