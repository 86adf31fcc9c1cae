"""Annotation workflow as an append-only event log: label, change, undo, adjudicate, gold labels.

Pure Python. Current labels, item states and gold labels are all derived from the events.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

# "delete": an admin removed the label (amm admin delete-labels); "gold": the majority rule set,
# changed or cleared a sample's gold label (by the system annotator MAJORITY_RULE).
ACTIONS = ("create", "change", "undo", "adjudicate", "delete", "gold")
UNDOABLE = ("create", "change")
NOT_ANNOTATOR_LABELS = ("adjudicate", "gold")  # events about gold labels, not anyone's label
ITEM_STATES = ("unlabelled", "needs_more", "agreed", "disagreement", "adjudicated")

LabelKey = tuple[int, str]  # (sample_id, annotator)


@dataclass(frozen=True)
class Event:
    """One append-only change to a label; `new_label` None means the label was removed."""

    sample_id: int
    annotator: str
    action: str
    old_label: str | None
    new_label: str | None
    note: str | None = None
    seq: int = 0

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise ValueError(f"unknown action {self.action!r}; expected one of {ACTIONS}")


def _check_label(label: str, label_set: Sequence[str]) -> None:
    if label not in label_set:
        raise ValueError(f"label {label!r} is not in the label set {list(label_set)}")


def label_event(
    current: Mapping[LabelKey, str],
    sample_id: int,
    annotator: str,
    label: str,
    label_set: Sequence[str],
    note: str | None = None,
    *,
    seq: int = 0,
) -> Event | None:
    """Event for `annotator` giving `label` to `sample_id`, or None when nothing changes.

    "create" when the annotator had no label for the sample, "change" when it differs, None when
    it is the same label again. A label outside `label_set` raises ValueError.
    """
    _check_label(label, label_set)
    old = current.get((sample_id, annotator))
    if old == label:
        return None
    action = "create" if old is None else "change"
    return Event(sample_id, annotator, action, old, label, note, seq)


def _ordered(events: Iterable[Event]) -> list[Event]:
    """Events in seq order; equal seqs keep their given order (sorted() is stable)."""
    return sorted(events, key=lambda e: e.seq)


def _undo_stack(events: Sequence[Event], annotator: str) -> list[Event]:
    """The annotator's create/change events that are not undone yet, oldest first."""
    stack: list[Event] = []
    for event in _ordered(events):
        if event.annotator != annotator:
            continue
        if event.action in UNDOABLE:
            stack.append(event)
        elif event.action == "undo" and stack:
            stack.pop()
        elif event.action == "delete":  # an admin removed the label: its history is closed
            stack = [e for e in stack if e.sample_id != event.sample_id]
    return stack


def live_events(events: Sequence[Event]) -> list[Event]:
    """The label events still in force: every annotator's create/change events not undone,
    and the adjudications (which undo never touches)."""
    annotators = dict.fromkeys(e.annotator for e in _ordered(events))
    live = [e for annotator in annotators for e in _undo_stack(events, annotator)]
    return live + [e for e in events if e.action == "adjudicate"]


def undo_event(events: Sequence[Event], annotator: str, note: str | None = None) -> Event | None:
    """Event reverting `annotator`'s most recent create/change that is not undone yet.

    Semantics: each annotator has their own undo stack over all samples (other annotators'
    events never interfere). Undoing a "change" restores the label it replaced; undoing a
    "create" removes the label (new_label None); the restored label gets back the note it had
    (the note of the event that gave it), unless `note` is given. Undo again walks further back;
    a label an admin deleted is out of reach. There is no
    redo, and a new label after an undo simply goes on top of the stack. Adjudications are not
    undoable this way (adjudicate again instead). None when there is nothing left to undo.
    The returned event gets seq = last seq + 1.
    """
    stack = _undo_stack(events, annotator)
    if not stack:
        return None
    target = stack[-1]
    current = current_labels(events).get((target.sample_id, annotator))
    earlier = [e for e in stack[:-1] if e.sample_id == target.sample_id]
    restored_note = earlier[-1].note if earlier and target.old_label is not None else None
    next_seq = max(e.seq for e in events) + 1
    return Event(target.sample_id, annotator, "undo", current, target.old_label,
                 restored_note if note is None else note, next_seq)


def current_labels(events: Iterable[Event]) -> dict[LabelKey, str]:
    """Replay create/change/undo events in seq order into {(sample_id, annotator): label}.

    Adjudications are not annotator labels; see `adjudicated_labels`.
    """
    labels: dict[LabelKey, str] = {}
    for event in _ordered(events):
        if event.action in NOT_ANNOTATOR_LABELS:
            continue
        key = (event.sample_id, event.annotator)
        if event.new_label is None:
            labels.pop(key, None)
        else:
            labels[key] = event.new_label
    return labels


def adjudicate_event(
    adjudicated: Mapping[int, str],
    sample_id: int,
    adjudicator: str,
    label: str,
    label_set: Sequence[str],
    note: str | None = None,
    *,
    seq: int = 0,
) -> Event | None:
    """Event recording an adjudicator's final label for a sample; None when already that label."""
    _check_label(label, label_set)
    old = adjudicated.get(sample_id)
    if old == label:
        return None
    return Event(sample_id, adjudicator, "adjudicate", old, label, note, seq)


def adjudicated_labels(events: Iterable[Event]) -> dict[int, str]:
    """Latest adjudicated label per sample (an adjudication with new_label None clears it)."""
    result: dict[int, str] = {}
    for event in _ordered(events):
        if event.action != "adjudicate":
            continue
        if event.new_label is None:
            result.pop(event.sample_id, None)
        else:
            result[event.sample_id] = event.new_label
    return result


def history(events: Iterable[Event], sample_id: int) -> list[Event]:
    """All events of one sample (every annotator, adjudications included) in seq order."""
    return [e for e in _ordered(events) if e.sample_id == sample_id]


def item_state(labels: Mapping[str, str], overlap: int, gold: str | None) -> str:
    """State of one item from its labels {annotator: label}, the overlap and adjudicated gold.

    "adjudicated" when gold is given; "unlabelled" with no labels; "needs_more" below the
    overlap (even if the labels so far differ: more votes may settle it); at or above the
    overlap "agreed" when all labels are equal, else "disagreement".
    """
    if gold is not None:
        return "adjudicated"
    if not labels:
        return "unlabelled"
    if len(labels) < overlap:
        return "needs_more"
    return "agreed" if len(set(labels.values())) == 1 else "disagreement"


def _provenance(labels: Mapping[str, str]) -> dict:
    votes = Counter(labels.values())
    voters = {label: sorted(a for a, lab in labels.items() if lab == label) for label in votes}
    return {"votes": dict(sorted(votes.items())), "voters": dict(sorted(voters.items()))}


def gold_label(
    labels: Mapping[str, str], *, min_votes: int = 2, adjudicated: str | None = None
) -> tuple[str, str, dict] | None:
    """(label, source, provenance) for an item, or None when there is no gold label yet.

    An adjudicated label always wins (source "adjudicated"). Otherwise the majority label
    (source "majority") needs at least `min_votes` votes and strictly more than any other label;
    ties give None. Provenance: {"votes": {label: count}, "voters": {label: [annotators]}}, plus
    "adjudicated": the adjudicated label when there is one.
    """
    provenance = _provenance(labels)
    if adjudicated is not None:
        return adjudicated, "adjudicated", {**provenance, "adjudicated": adjudicated}
    ranked = Counter(labels.values()).most_common()
    if not ranked or ranked[0][1] < min_votes:
        return None
    if len(ranked) > 1 and ranked[1][1] == ranked[0][1]:
        return None
    return ranked[0][0], "majority", provenance
