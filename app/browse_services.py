"""What the MGID browser page asks for: the filter choices of a dataset, one page of matching
posts as cards (thumbnails from the disk cache), and one post's detail (image, labels, HSV
histogram, a run's probabilities). Plain functions taking the workspace; filtering is SQL.

The detail's HSV histogram is the model's colour feature (choice): the image goes through the
feature extractor's own path (`decode_resized` at the run's input size, transparency on white,
then `hsv_histogram` with its bins), with the chosen run's feature config, else the dataset
kind's defaults. An image the model cannot decode is reported in one line, never raised."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select

from amm_core.cli.storage import Workspace
from amm_core.config import FeatureConfig, from_dict, resolve_config
from amm_core.features.colour import hsv_histogram
from app.thumbnail_cache import read_bytes, thumbnail
from db import browse, crud
from db.models import GoldLabel, ModelRun, Sample

BROWSABLE_KINDS = ("mgid",)
PAGE_SIZE = 24
TASKS = ("depression", "emotion")
DEFAULT_DEPRESSION = ("not depressed", "depressed")


@dataclass(frozen=True)
class BrowseChoices:
    """What the filters of one dataset can offer."""

    dataset: str
    splits: list[str]
    depression: list[str]  # names in class order: index = stored depression label
    emotions: list[str]
    runs: list[str]  # completed runs trained on this dataset


@dataclass(frozen=True)
class BrowseRequest:
    """The page's widgets, as plain values ("any" filters are None)."""

    dataset: str
    split: str | None = None
    depression: str | None = None  # a depression label name
    emotion: str | None = None
    has_image: bool | None = None
    search: str = ""
    sample_ids: tuple[int, ...] | None = None
    run: str | None = None
    task: str = "depression"
    predicted: str | None = None
    outcome: str | None = None  # "correct" | "wrong"
    confidence: tuple[float, float] = (0.0, 1.0)
    order: str = "id"
    page: int = 1  # 1-based
    page_size: int = PAGE_SIZE


@dataclass(frozen=True)
class Card:
    sample_id: int
    external_id: str
    title: str
    caption: str
    split: str
    labels: str  # "depressed · neutral"
    thumbnail: Path | None
    has_image: bool
    prediction: str | None = None  # "depressed (0.91) ✓"
    correct: bool | None = None
    image_note: str = ""  # why an image post has no thumbnail: "image missing" | "... unreadable"


@dataclass(frozen=True)
class BrowseResult:
    total: int
    page: int  # 1-based, after clamping
    pages: int
    first: int  # 1-based position of the first card (0 when nothing matched)
    cards: list[Card]


@dataclass
class SampleDetail:
    sample_id: int
    external_id: str
    dataset: str
    split: str
    title: str
    text: str
    labels: dict[str, str]
    image_path: Path | None
    hsv: np.ndarray | None  # (48,) H, S, V histograms, or None without a readable image
    predictions: dict[str, dict[str, Any]] = field(default_factory=dict)  # task -> label, probs
    image_problem: str | None = None  # one line when the post's image is missing or unreadable


class BrowseError(ValueError):
    """A request the browser cannot answer (unknown dataset or run); one line for st.error."""


def browsable_datasets(workspace: Workspace) -> list[str]:
    with workspace.sessions() as session:
        return [d.name for d in crud.list_datasets(session) if d.kind in BROWSABLE_KINDS]


def _dataset(session: Any, name: str) -> Any:
    dataset = crud.get_dataset(session, name)
    if dataset is None:
        raise BrowseError(f"unknown dataset '{name}'")
    return dataset


def _label_sets(dataset: Any) -> dict[str, list[str]]:
    sets = dict(dataset.label_sets or {})
    return {"depression": list(sets.get("depression") or DEFAULT_DEPRESSION),
            "emotion": list(sets.get("emotion") or [])}


def choices(workspace: Workspace, dataset_name: str) -> BrowseChoices:
    with workspace.sessions() as session:
        dataset = _dataset(session, dataset_name)
        splits = session.scalars(select(Sample.split).where(Sample.dataset_id == dataset.id)
                                 .distinct()).all()
        runs = session.scalars(select(ModelRun.name).where(
            ModelRun.dataset_id == dataset.id, ModelRun.status == "completed")
            .order_by(ModelRun.created_at.desc())).all()
        sets = _label_sets(dataset)
    order = {"train": 0, "dev": 1, "test": 2}
    known = sorted((s for s in splits if s), key=lambda s: (order.get(s, 9), s))
    return BrowseChoices(dataset=dataset_name, splits=known,
                         depression=sets["depression"], emotions=sets["emotion"], runs=list(runs))


def _run_filter(session: Any, request: BrowseRequest, dataset: Any) -> browse.RunFilter | None:
    if not request.run:
        return None
    run = crud.get_run(session, request.run)
    if run is None:
        raise BrowseError(f"unknown run '{request.run}'")
    if request.task not in TASKS:
        raise BrowseError(f"task '{request.task}' is not one of {', '.join(TASKS)}")
    low, high = request.confidence
    return browse.RunFilter(run_id=run.id, task=request.task,
                            labels=tuple(_label_sets(dataset)[request.task]),
                            predicted=request.predicted, outcome=request.outcome,
                            min_confidence=float(low), max_confidence=float(high))


def sample_filter(session: Any, request: BrowseRequest) -> browse.SampleFilter:
    dataset = _dataset(session, request.dataset)
    depression = None
    if request.depression is not None:
        names = _label_sets(dataset)["depression"]
        if request.depression not in names:
            raise BrowseError(f"depression label '{request.depression}' is not one of "
                              f"{', '.join(names)}")
        depression = names.index(request.depression)
    return browse.SampleFilter(
        dataset_id=dataset.id, split=request.split, depression=depression,
        emotion=request.emotion, has_image=request.has_image, search=request.search,
        sample_ids=request.sample_ids, run=_run_filter(session, request, dataset))


def browse_page(workspace: Workspace, request: BrowseRequest) -> BrowseResult:
    """One page of cards matching the request; thumbnails are made (once) for that page only."""
    size = max(1, request.page_size)
    with workspace.sessions() as session:
        flt = sample_filter(session, request)
        depression_names = _label_sets(_dataset(session, request.dataset))["depression"]
        page = browse.page_of_samples(session, flt, offset=(max(request.page, 1) - 1) * size,
                                      limit=size, order=request.order)
    cache_dir = workspace.settings.cache_dir
    cards = [_card(row, depression_names, cache_dir) for row in page.rows]
    pages = max(1, -(-page.total // size))
    return BrowseResult(total=page.total, page=page.offset // size + 1, pages=pages,
                        first=page.offset + 1 if page.total else 0, cards=cards)


def _depression_name(label: int | None, names: list[str]) -> str:
    if label is None or not 0 <= label < len(names):
        return "no depression label"
    return names[label]


def _card(row: browse.BrowseRow, depression_names: list[str], cache_dir: Path) -> Card:
    thumb = thumbnail(row.media_path, cache_dir) if row.media_path else None
    prediction = None
    if row.predicted is not None:
        mark = {True: " ✓", False: " ✗"}.get(row.correct, "")
        confidence = f" ({row.confidence:.2f})" if row.confidence is not None else ""
        prediction = f"{row.predicted}{confidence}{mark}"
    labels = [_depression_name(row.depression_label, depression_names),
              row.emotion_label or "no emotion label"]
    note = ""
    if row.media_path and thumb is None:
        note = "image unreadable" if Path(row.media_path).is_file() else "image missing"
    return Card(sample_id=row.sample_id, external_id=row.external_id,
                title=row.title or row.external_id, caption=row.text, split=row.split or "—",
                labels=" · ".join(labels), thumbnail=thumb, has_image=bool(row.media_path),
                prediction=prediction, correct=row.correct, image_note=note)


def sample_detail(workspace: Workspace, sample_id: int, run_name: str | None = None
                  ) -> SampleDetail:
    """One sample in full: labels, image, the model's HSV histogram and the run's probabilities.
    A missing or undecodable image leaves `image_path` and `hsv` None and says why in
    `image_problem`."""
    with workspace.sessions() as session:
        sample = session.get(Sample, int(sample_id))
        if sample is None:
            raise BrowseError(f"sample {sample_id} no longer exists")
        dataset = sample.dataset
        gold = session.scalar(select(GoldLabel.label).where(GoldLabel.sample_id == sample.id))
        predictions: dict[str, dict[str, Any]] = {}
        features = resolve_config(dataset.kind).features
        if run_name:
            run = crud.get_run(session, run_name)
            if run is None:
                raise BrowseError(f"unknown run '{run_name}'")
            predictions = browse.sample_predictions(session, run.id, sample.id)
            features = _run_features(run.config, features)
        names = _label_sets(dataset)["depression"]
        labels = {"depression": _depression_name(sample.depression_label, names),
                  "emotion": gold or sample.emotion_label or "no emotion label"}
        is_image = bool(sample.media_path) and sample.media_kind == "image"
        image = Path(sample.media_path) if is_image else None
        detail = SampleDetail(sample_id=sample.id, external_id=sample.external_id,
                              dataset=dataset.name, split=sample.split or "—",
                              title=sample.title or sample.external_id, text=sample.text or "",
                              labels=labels, image_path=image, hsv=None, predictions=predictions)
    if image is not None:
        try:
            detail.hsv = model_colour(image, features)
        except ValueError as exc:
            gone = not image.is_file()
            detail.image_problem = f"image {'missing' if gone else 'unreadable'}: {exc}"
            detail.image_path = None
    return detail


def _run_features(config: dict[str, Any] | None, fallback: FeatureConfig) -> FeatureConfig:
    """The feature config a run was trained with; `fallback` when it stored none or a bad one."""
    if not config:
        return fallback
    try:
        return from_dict(config).features
    except (TypeError, ValueError):
        return fallback


def model_colour(image: Path, features: FeatureConfig) -> np.ndarray:
    """The model's colour feature of an image file: the extractor's decode (JPEG DCT shortcut,
    resize to the input size, alpha on white) then `hsv_histogram`; ValueError (one line) when
    the model cannot read it."""
    from amm_core.features.image import decode_resized  # deferred (decoding needs no torch)

    rgb = decode_resized(read_bytes(image), image.name, features.image_input_size(),
                         features.max_image_pixels)
    return hsv_histogram(rgb, features.hsv_bins)
