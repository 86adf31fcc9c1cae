"""The sample browser's queries: filter one dataset's samples (split, labels, image, text, a run's
predictions), count the matches and fetch one page of them, all in SQL.

Label names come from the caller (the dataset's label sets), so this module knows no model code.
The emotion label of a sample is its gold label when one exists (DAIC), else the imported one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, literal, or_, select
from sqlalchemy.orm import Session

from db.models import GoldLabel, Prediction, Sample

OUTCOMES = ("correct", "wrong")
ORDERS = ("id", "confidence-asc", "confidence-desc")
MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class RunFilter:
    """One run's predictions for one task, and what to keep of them."""

    run_id: int
    task: str  # "depression" | "emotion"
    labels: tuple[str, ...]  # the task's label names in class order (index = depression label)
    predicted: str | None = None
    outcome: str | None = None  # "correct" | "wrong" | None
    min_confidence: float = 0.0
    max_confidence: float = 1.0

    def narrows(self) -> bool:
        """True when some sample may be dropped (then samples without a prediction go too)."""
        return (self.predicted is not None or self.outcome is not None
                or self.min_confidence > 0.0 or self.max_confidence < 1.0)


@dataclass(frozen=True)
class SampleFilter:
    dataset_id: int
    split: str | None = None
    depression: int | None = None  # 1 | 0
    emotion: str | None = None
    has_image: bool | None = None
    search: str = ""  # in title or text, case-insensitive
    sample_ids: tuple[int, ...] | None = None  # only these (e.g. the rows behind an audit figure)
    run: RunFilter | None = None


@dataclass(frozen=True)
class BrowseRow:
    sample_id: int
    external_id: str
    split: str | None
    title: str | None
    text: str
    media_path: str | None
    depression_label: int | None
    emotion_label: str | None
    predicted: str | None = None
    confidence: float | None = None
    correct: bool | None = None


@dataclass(frozen=True)
class BrowsePage:
    total: int  # matches over all pages
    offset: int
    rows: list[BrowseRow]


def emotion_column() -> ColumnElement[Any]:
    """A sample's emotion label: its gold label when there is one, else the imported label."""
    return func.coalesce(GoldLabel.label, Sample.emotion_label)


def _truth(run: RunFilter) -> ColumnElement[Any]:
    if run.task == "depression":
        names = dict(enumerate(run.labels))
        return case(names, value=Sample.depression_label) if names else literal(None)
    return emotion_column()


def _confidence(run: RunFilter) -> ColumnElement[Any]:
    """The probability of the predicted label, read from the stored probabilities JSON."""
    if not run.labels:
        return literal(None)
    return case({name: Prediction.probabilities[name].as_float() for name in run.labels},
                value=Prediction.label)


def _base(flt: SampleFilter) -> Select[Any]:
    columns = [Sample.id, Sample.external_id, Sample.split, Sample.title, Sample.text,
               Sample.media_path, Sample.depression_label, emotion_column().label("emotion")]
    query = (select(*columns)
             .outerjoin(GoldLabel, GoldLabel.sample_id == Sample.id)
             .where(Sample.dataset_id == flt.dataset_id))
    if flt.split is not None:
        query = query.where(Sample.split == flt.split)
    if flt.depression is not None:
        query = query.where(Sample.depression_label == flt.depression)
    if flt.emotion is not None:
        query = query.where(emotion_column() == flt.emotion)
    if flt.has_image is not None:
        has = and_(Sample.media_path.is_not(None), Sample.media_kind == "image")
        query = query.where(has if flt.has_image else ~has)
    words = flt.search.strip()
    if words:
        query = query.where(or_(Sample.title.icontains(words, autoescape=True),
                                Sample.text.icontains(words, autoescape=True)))
    if flt.sample_ids is not None:
        query = query.where(Sample.id.in_(flt.sample_ids))
    return query


def _with_run(query: Select[Any], run: RunFilter) -> Select[Any]:
    on = and_(Prediction.sample_id == Sample.id, Prediction.run_id == run.run_id,
              Prediction.task == run.task)
    truth, confidence = _truth(run), _confidence(run)
    correct = case((Prediction.label.is_(None), None), (truth.is_(None), None),
                   else_=Prediction.label == truth)
    query = query.add_columns(Prediction.label.label("predicted"),
                              confidence.label("confidence"), correct.label("correct"))
    query = query.join(Prediction, on) if run.narrows() else query.outerjoin(Prediction, on)
    if run.predicted is not None:
        query = query.where(Prediction.label == run.predicted)
    if run.outcome == "correct":
        query = query.where(truth.is_not(None), Prediction.label == truth)
    elif run.outcome == "wrong":
        query = query.where(truth.is_not(None), Prediction.label != truth)
    elif run.outcome is not None:
        raise ValueError(f"outcome {run.outcome!r} is not one of {', '.join(OUTCOMES)}")
    if run.min_confidence > 0.0:
        query = query.where(confidence >= run.min_confidence)
    if run.max_confidence < 1.0:
        query = query.where(confidence <= run.max_confidence)
    return query


def filtered_query(flt: SampleFilter) -> Select[Any]:
    """SELECT of the matching samples (plus prediction columns when a run is given)."""
    query = _base(flt)
    return _with_run(query, flt.run) if flt.run is not None else query


def count_samples(session: Session, flt: SampleFilter) -> int:
    return session.scalar(select(func.count()).select_from(filtered_query(flt).subquery())) or 0


def page_of_samples(session: Session, flt: SampleFilter, *, offset: int = 0, limit: int = 24,
                    order: str = "id") -> BrowsePage:
    """The matches from `offset` (clamped to the last page), at most `limit` of them."""
    if order not in ORDERS:
        raise ValueError(f"order {order!r} is not one of {', '.join(ORDERS)}")
    if order != "id" and flt.run is None:
        order = "id"  # confidence needs a run
    limit = max(1, min(int(limit), MAX_PAGE_SIZE))
    total = count_samples(session, flt)
    offset = max(0, min(int(offset), ((max(total, 1) - 1) // limit) * limit))
    query = filtered_query(flt)
    if order == "id":
        query = query.order_by(Sample.id)
    else:
        confidence = query.selected_columns.confidence
        key = confidence.asc() if order == "confidence-asc" else confidence.desc()
        query = query.order_by(confidence.is_(None), key, Sample.id)
    rows = session.execute(query.offset(offset).limit(limit)).mappings()
    return BrowsePage(total=total, offset=offset, rows=[_row(r) for r in rows])


def _row(row: Any) -> BrowseRow:
    correct = row.get("correct")
    confidence = row.get("confidence")
    return BrowseRow(
        sample_id=row["id"], external_id=row["external_id"], split=row["split"],
        title=row["title"], text=row["text"] or "", media_path=row["media_path"],
        depression_label=row["depression_label"], emotion_label=row["emotion"],
        predicted=row.get("predicted"),
        confidence=None if confidence is None else float(confidence),
        correct=None if correct is None else bool(correct),
    )


def sample_predictions(session: Session, run_id: int, sample_id: int) -> dict[str, dict[str, Any]]:
    """task -> {"label", "probabilities"} of one run for one sample."""
    query = select(Prediction).where(Prediction.run_id == run_id,
                                     Prediction.sample_id == sample_id)
    return {p.task: {"label": p.label, "probabilities": dict(p.probabilities or {})}
            for p in session.scalars(query)}


def audit_rows(session: Session, dataset_id: int) -> list[dict[str, Any]]:
    """Every sample of a dataset with what a data audit needs (image key, labels, texts)."""
    query = (select(Sample.id, Sample.external_id, Sample.split, Sample.title, Sample.text,
                    Sample.media_path, Sample.media_kind, Sample.session_id,
                    Sample.depression_label, emotion_column().label("emotion"),
                    Sample.meta["asset_id"].as_string().label("asset_id"))
             .outerjoin(GoldLabel, GoldLabel.sample_id == Sample.id)
             .where(Sample.dataset_id == dataset_id)
             .order_by(Sample.id))
    return [dict(row) for row in session.execute(query).mappings()]
