"""The Data audit page's numbers, each with the sample ids behind it: images shared by several
posts, images in several splits, conflicting labels (same image or same text), image problems and
empty captions for MGID; the reduced set that makes sense for DAIC utterances. Plain functions
taking the workspace; one query per dataset, grouped with pandas.

Emotion labels are the gold label where one was decided, else the imported one (as training and
the browser use them). MGID image problems have one definition, shared with Home
(`IMAGE_PROBLEMS`): "not downloaded" (a Getty Image URL, no file found on import), "bad Image
URL" (no Getty asset to match), both as the importer counts them; and, here only, "unreadable"
(a file the model's reader cannot decode, or one removed since import), known from the
thumbnail cache, so each file is decoded once."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from amm_core.cli.storage import Workspace
from app.thumbnail_cache import thumbnail
from db import crud
from db.browse import audit_rows

IMAGE_KINDS = ("mgid",)  # datasets whose samples are posts with images
# finding key -> (import summary key or None, label, help); Home shows those with a summary key.
IMAGE_PROBLEMS = {
    "missing_images": (
        "images_missing", "posts whose image was not downloaded",
        "The Image URL names a Getty image but no (non-empty) file for it was found on import: "
        "these posts are text-only."),
    "bad_image_urls": (
        "bad_image_urls", "posts with a bad Image URL",
        "The Image URL is empty or not a Getty image link, so no image file can be matched: "
        "these posts are text-only."),
    "unreadable_images": (
        None, "posts whose image file is unreadable",
        "A file is there on import but the model cannot decode it (corrupt, truncated, "
        "unsupported format), or it was removed since."),
}
CHECK_THREADS = 4  # image files decoded at once, the first time only (thumbnail cache)
TABLE_COLUMNS = ("sample_id", "external_id", "split", "title", "text", "image", "depression",
                 "emotion")


@dataclass(frozen=True)
class Finding:
    key: str
    label: str
    count: int  # the headline number, in `unit`
    unit: str  # "images" | "posts" | "captions" | "utterances"
    sample_ids: tuple[int, ...]  # the rows behind the number
    help: str = ""


@dataclass
class DatasetAudit:
    dataset: str
    kind: str
    samples: int
    label_rows: list[dict[str, Any]]  # {split, depression_label, emotion_label, count}
    findings: list[Finding]
    split_shift_warning: str | None = None
    skipped: dict[str, int] = field(default_factory=dict)  # rows the importer left out, why
    frame: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)

    def finding(self, key: str) -> Finding | None:
        return next((f for f in self.findings if f.key == key), None)


class AuditError(ValueError):
    """Unknown dataset and the like; one line for st.error."""


def audited_datasets(workspace: Workspace) -> list[str]:
    with workspace.sessions() as session:
        return [d.name for d in crud.list_datasets(session)]


def dataset_audit(workspace: Workspace, name: str) -> DatasetAudit:
    with workspace.sessions() as session:
        dataset = crud.get_dataset(session, name)
        if dataset is None:
            raise AuditError(f"unknown dataset '{name}'")
        frame = pd.DataFrame(audit_rows(session, dataset.id), columns=[
            "id", "external_id", "split", "title", "text", "media_path", "media_kind",
            "session_id", "depression_label", "emotion", "asset_id"])
        label_rows = crud.label_counts(session, dataset, gold=True)
        kind, summary = dataset.kind, dict(dataset.summary or {})
    frame = _prepare(frame)
    findings = (_image_findings(frame, workspace.settings.cache_dir) if kind in IMAGE_KINDS
                else _utterance_findings(frame))
    return DatasetAudit(dataset=name, kind=kind, samples=len(frame), label_rows=label_rows,
                        findings=findings, split_shift_warning=summary.get("split_shift_warning"),
                        skipped=dict(summary.get("skipped") or {}), frame=frame)


def _prepare(frame: pd.DataFrame) -> pd.DataFrame:
    frame.index = pd.Index(frame["id"].to_numpy())
    frame["text"] = frame["text"].fillna("")
    frame["split"] = frame["split"].fillna("unsplit")
    # One image file serves every row with its asset id (MGID); else the file path is the image.
    frame["image_key"] = frame["asset_id"].where(frame["asset_id"].notna(), frame["media_path"])
    frame["labels"] = (frame["depression_label"].astype("string").fillna("?") + "|"
                       + frame["emotion"].fillna("?"))
    frame["text_key"] = frame["text"].str.strip().str.lower().str.split().str.join(" ")
    return frame


def _ids(rows: pd.DataFrame) -> tuple[int, ...]:
    return tuple(int(i) for i in rows["id"])


def _grouped(frame: pd.DataFrame, key: str, test: str) -> tuple[int, tuple[int, ...]]:
    """(number of groups, their sample ids): groups of `key` (non-empty) that pass `test`:
    "several" (more than one row), "splits" (more than one split), "labels" (several labels)."""
    rows = frame[frame[key].notna() & (frame[key] != "")]
    grouped = rows.groupby(key)
    if test == "several":
        keep = grouped["id"].transform("size") > 1
    else:
        keep = grouped["split" if test == "splits" else "labels"].transform("nunique") > 1
    chosen = rows[keep]
    return int(chosen[key].nunique()), _ids(chosen.sort_values([key, "id"]))


_READABLE: dict[tuple[str, int, int], bool] = {}  # (path, mtime_ns, size) -> decodes, this process


def _version(path: str) -> tuple[str, int, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return path, stat.st_mtime_ns, stat.st_size


def _unreadable(frame: pd.DataFrame, cache_dir: Path) -> pd.DataFrame:
    """Rows with an image file the thumbnail cache (the model's reader) cannot make a picture of.
    Each file version is asked once per server process (the thumbnail cache decodes it once
    ever): a later audit costs one stat per image, ~0.1 s for 5,000, not ~1.2 s of cache lookups;
    the first audit of a dataset decodes every image (~14 s for 5,000 demo images here)."""
    versions = {path: _version(path) for path in frame["media_path"].dropna().unique()}
    unknown = [v for v in versions.values() if v is not None and v not in _READABLE]
    with ThreadPoolExecutor(max_workers=CHECK_THREADS) as pool:
        made = list(pool.map(lambda v: thumbnail(v[0], cache_dir) is not None, unknown))
    _READABLE.update(zip(unknown, made, strict=True))
    bad = {path for path, v in versions.items() if v is None or not _READABLE.get(v, False)}
    return frame[frame["media_path"].isin(bad)]


def _image_problem_findings(frame: pd.DataFrame, cache_dir: Path) -> list[Finding]:
    has_asset = frame["asset_id"].notna() & (frame["asset_id"] != "")
    rows = {"missing_images": frame[has_asset & frame["media_path"].isna()],
            "bad_image_urls": frame[~has_asset],
            "unreadable_images": _unreadable(frame, cache_dir)}
    return [Finding(key, label, len(rows[key]), "posts", _ids(rows[key]), help_text)
            for key, (_, label, help_text) in IMAGE_PROBLEMS.items()]


def _image_findings(frame: pd.DataFrame, cache_dir: Path) -> list[Finding]:
    duplicated = _grouped(frame, "image_key", "several")
    cross = _grouped(frame, "image_key", "splits")
    image_conflict = _grouped(frame, "image_key", "labels")
    text_conflict = _grouped(frame, "text_key", "labels")
    empty = frame[frame["text_key"] == ""]
    return [
        Finding("duplicated_images", "images used by several posts", duplicated[0], "images",
                duplicated[1], "The same image (asset id) appears in more than one post."),
        Finding("cross_split_images", "images in more than one split", cross[0], "images",
                cross[1], "Train/test leakage: one image in several splits."),
        Finding("image_label_conflicts", "images with conflicting labels", image_conflict[0],
                "images", image_conflict[1],
                "Posts sharing an image carry different depression or emotion labels."),
        Finding("text_label_conflicts", "captions with conflicting labels", text_conflict[0],
                "captions", text_conflict[1],
                "Posts with the same (non-empty) caption carry different labels."),
        *_image_problem_findings(frame, cache_dir),
        Finding("empty_captions", "posts with an empty caption", len(empty), "posts",
                _ids(empty), "The Text column is empty; only the title and image remain."),
    ]


def _utterance_findings(frame: pd.DataFrame) -> list[Finding]:
    """DAIC: labels are per session and the visual side is OpenFace, so no image findings."""
    no_visual = frame[frame["media_path"].isna()]
    no_label = frame[frame["depression_label"].isna()]
    empty = frame[frame["text_key"] == ""]
    return [
        Finding("missing_visual", "utterances without facial features", len(no_visual),
                "utterances", _ids(no_visual), "The session has no OpenFace files."),
        Finding("missing_depression", "utterances without a depression label", len(no_label),
                "utterances", _ids(no_label), "The session is missing from the label files."),
        Finding("empty_text", "utterances with no text", len(empty), "utterances", _ids(empty),
                "Nothing left after cleaning the transcript row."),
    ]


def rows_behind(audit: DatasetAudit, key: str) -> pd.DataFrame:
    """The rows behind one finding, as a table for people (shared images next to each other)."""
    finding = audit.finding(key)
    if finding is None:
        raise AuditError(f"no finding '{key}' for dataset '{audit.dataset}'")
    rows = audit.frame.loc[list(finding.sample_ids)]
    table = pd.DataFrame({
        "sample_id": rows["id"], "external_id": rows["external_id"], "split": rows["split"],
        "title": rows["title"], "text": rows["text"].str.slice(0, 120),
        "image": rows["image_key"], "depression": rows["depression_label"],
        "emotion": rows["emotion"],
    })
    return table.reset_index(drop=True)[list(TABLE_COLUMNS)]


def split_shift_rows(audit: DatasetAudit) -> list[dict[str, Any]]:
    """Per split, each emotion's share among the depressed samples (MGID's split shift)."""
    depressed = [r for r in audit.label_rows if r["depression_label"] == 1]
    totals: dict[str, int] = {}
    for row in depressed:
        totals[row["split"] or "unsplit"] = totals.get(row["split"] or "unsplit", 0) + row["count"]
    return [{"split": r["split"] or "unsplit", "emotion": r["emotion_label"] or "unlabelled",
             "share": r["count"] / totals[r["split"] or "unsplit"], "count": r["count"]}
            for r in depressed]
