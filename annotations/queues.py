"""Next-item queue for annotators: a chain of small strategies, each giving an item and a reason.

Label Studio style: `next_item` asks each strategy in turn and returns the first answer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from annotations.workflow import item_state

ROLES = ("annotator", "adjudicator")


@dataclass
class QueueItem:
    """One sample in the queue; `order` is its position in the session (or the dataset)."""

    sample_id: int
    session_id: str | None
    order: int


@dataclass
class QueueContext:
    """Everything a strategy needs to pick the next item for one user.

    `items` are in dataset order; `labels` maps sample -> annotator -> label; `uncertainty`
    maps sample -> the model's confidence, the probability of its top class (for a binary task
    the same order as the distance of p from 0.5); `adjudicated` holds the samples that already
    have an adjudicated label (adjudicators are not offered them again); `relabel` maps sample
    -> why someone asked for it to be labelled again (open requests, oldest first);
    `returning` is the sample whose label this user just undid (shown again first).
    """

    items: list[QueueItem]
    labels: dict[int, dict[str, str]]
    annotator: str
    role: str
    overlap: int = 2
    last_sample: int | None = None
    uncertainty: dict[int, float] | None = None
    skipped: set[int] = field(default_factory=set)
    adjudicated: set[int] = field(default_factory=set)
    relabel: dict[int, str] = field(default_factory=dict)
    returning: int | None = None


@dataclass(frozen=True)
class QueueChoice:
    """The chosen sample and a short sentence telling the annotator why it was chosen;
    `adjudicate` when the adjudicator is asked to decide the gold label (not to add a vote)."""

    sample_id: int
    reason: str
    adjudicate: bool = False


Strategy = Callable[[QueueContext], "QueueChoice | None"]


def _labels_of(ctx: QueueContext, sample_id: int) -> dict[str, str]:
    return ctx.labels.get(sample_id, {})


def _is_open(ctx: QueueContext, item: QueueItem) -> bool:
    """Not labelled by this user, not skipped by them, and still short of the overlap."""
    labels = _labels_of(ctx, item.sample_id)
    return (
        ctx.annotator not in labels
        and item.sample_id not in ctx.skipped
        and len(labels) < ctx.overlap
    )


def returning_item(ctx: QueueContext) -> QueueChoice | None:
    """The item whose label this user just undid, so that they see what they changed."""
    if ctx.returning is None or ctx.returning not in {i.sample_id for i in ctx.items}:
        return None
    return QueueChoice(ctx.returning, "back to the item whose label you undid")


def relabel_requested(ctx: QueueContext) -> QueueChoice | None:
    """The oldest open re-labelling request this user has not skipped (even if they labelled the
    item before: the request asks for a second look)."""
    present = {i.sample_id for i in ctx.items}
    for sample_id, why in ctx.relabel.items():
        if sample_id in present and sample_id not in ctx.skipped:
            return QueueChoice(sample_id, why)
    return None


def continue_session(ctx: QueueContext) -> QueueChoice | None:
    """The next open item after `last_sample` in the same session, in session order."""
    last = next((i for i in ctx.items if i.sample_id == ctx.last_sample), None)
    if last is None or last.session_id is None:
        return None
    later = [
        i
        for i in ctx.items
        if i.session_id == last.session_id and i.order > last.order and _is_open(ctx, i)
    ]
    if not later:
        return None
    item = min(later, key=lambda i: i.order)
    return QueueChoice(item.sample_id, f"continuing session {item.session_id} in order")


def needs_overlap(ctx: QueueContext) -> QueueChoice | None:
    """An item others started (1..overlap-1 labels) so it reaches the overlap; fullest first."""
    started = [i for i in ctx.items if _is_open(ctx, i) and _labels_of(ctx, i.sample_id)]
    if not started:
        return None
    item = max(started, key=lambda i: len(_labels_of(ctx, i.sample_id)))  # first max wins
    have = len(_labels_of(ctx, item.sample_id))
    missing = ctx.overlap - have
    noun = "label" if missing == 1 else "labels"
    return QueueChoice(
        item.sample_id,
        f"needs {missing} more {noun} to reach the overlap of {ctx.overlap} (has {have})",
    )


def disagreements(ctx: QueueContext) -> QueueChoice | None:
    """Adjudicators only: the first not-yet-adjudicated item whose labels disagree."""
    if ctx.role != "adjudicator":
        return None
    for item in ctx.items:
        labels = _labels_of(ctx, item.sample_id)
        if item.sample_id in ctx.skipped or item.sample_id in ctx.adjudicated:
            continue
        if item_state(labels, ctx.overlap, None) == "disagreement":
            votes = ", ".join(
                f"{label} ×{list(labels.values()).count(label)}"
                for label in sorted(set(labels.values()))
            )
            return QueueChoice(item.sample_id, f"annotators disagree ({votes}); please adjudicate",
                               adjudicate=True)
    return None


def uncertain_first(ctx: QueueContext) -> QueueChoice | None:
    """When model confidences are given: the open item whose top class is least probable."""
    confidence = ctx.uncertainty
    if not confidence:
        return None
    scored = [i for i in ctx.items if _is_open(ctx, i) and i.sample_id in confidence]
    if not scored:
        return None
    item = min(scored, key=lambda i: confidence[i.sample_id])  # first least sure wins
    top = confidence[item.sample_id]
    reason = f"the model is unsure here (its top class has p = {top:.2f})"
    return QueueChoice(item.sample_id, reason)


def first_unlabelled(ctx: QueueContext) -> QueueChoice | None:
    """Fallback: the first open item in dataset order."""
    item = next((i for i in ctx.items if _is_open(ctx, i)), None)
    if item is None:
        return None
    return QueueChoice(item.sample_id, "next unlabelled item in dataset order")


DEFAULT_CHAIN: tuple[Strategy, ...] = (
    continue_session,
    needs_overlap,
    uncertain_first,
    first_unlabelled,
)
ADJUDICATOR_CHAIN: tuple[Strategy, ...] = (disagreements, *DEFAULT_CHAIN)
REQUESTED_FIRST: tuple[Strategy, ...] = (returning_item, relabel_requested)  # before either chain


def next_item(ctx: QueueContext, chain: Sequence[Strategy] | None = None) -> QueueChoice | None:
    """The first answer of the chain (when None: the item just undone, open re-labelling
    requests, then the role's chain); None means all done."""
    if chain is None:
        if ctx.role not in ROLES:
            raise ValueError(f"unknown role {ctx.role!r}; expected one of {ROLES}")
        chain = (*REQUESTED_FIRST,
                 *(ADJUDICATOR_CHAIN if ctx.role == "adjudicator" else DEFAULT_CHAIN))
    for strategy in chain:
        choice = strategy(ctx)
        if choice is not None:
            return choice
    return None
