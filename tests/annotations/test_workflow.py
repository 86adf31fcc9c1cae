"""Event-log workflow: label transitions, undo, replay, history, item states and gold labels."""

from __future__ import annotations

import pytest

from annotations.workflow import (
    Event,
    adjudicate_event,
    adjudicated_labels,
    current_labels,
    gold_label,
    history,
    item_state,
    label_event,
    undo_event,
)

SAD = ("non-sad", "sad")


class Log:
    """Tiny stand-in for the database: appends events with increasing seq."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def label(self, sample: int, who: str, label: str) -> Event | None:
        event = label_event(current_labels(self.events), sample, who, label, SAD, seq=self._seq())
        if event is not None:
            self.events.append(event)
        return event

    def undo(self, who: str) -> Event | None:
        event = undo_event(self.events, who)
        if event is not None:
            self.events.append(event)
        return event

    def _seq(self) -> int:
        return len(self.events) + 1


def test_create_change_and_noop() -> None:
    log = Log()
    created = log.label(10, "ann", "sad")
    assert created == Event(10, "ann", "create", None, "sad", seq=1)
    changed = log.label(10, "ann", "non-sad")
    assert (changed.action, changed.old_label, changed.new_label) == ("change", "sad", "non-sad")
    assert log.label(10, "ann", "non-sad") is None
    assert len(log.events) == 2
    assert current_labels(log.events) == {(10, "ann"): "non-sad"}


def test_label_outside_the_set_names_label_and_set() -> None:
    with pytest.raises(ValueError, match=r"'happy'.*\['non-sad', 'sad'\]"):
        label_event({}, 1, "ann", "happy", SAD)


def test_undo_of_create_removes_the_label() -> None:
    log = Log()
    log.label(1, "ann", "sad")
    undo = log.undo("ann")
    assert (undo.action, undo.sample_id, undo.old_label, undo.new_label) == ("undo", 1, "sad", None)
    assert current_labels(log.events) == {}


def test_undo_of_change_restores_previous_label() -> None:
    log = Log()
    log.label(1, "ann", "sad")
    log.label(1, "ann", "non-sad")
    undo = log.undo("ann")
    assert (undo.old_label, undo.new_label) == ("non-sad", "sad")
    assert current_labels(log.events) == {(1, "ann"): "sad"}


def test_repeated_undo_walks_back_across_samples_then_stops() -> None:
    log = Log()
    log.label(1, "ann", "sad")
    log.label(2, "ann", "non-sad")
    log.label(2, "ann", "sad")
    log.label(1, "bob", "non-sad")  # another annotator never gets undone by "ann"
    assert log.undo("ann").sample_id == 2
    assert current_labels(log.events)[(2, "ann")] == "non-sad"
    assert log.undo("ann").sample_id == 2
    assert (2, "ann") not in current_labels(log.events)
    assert log.undo("ann").sample_id == 1
    assert log.undo("ann") is None
    assert current_labels(log.events) == {(1, "bob"): "non-sad"}


def test_undo_with_nothing_to_undo() -> None:
    assert undo_event([], "ann") is None
    log = Log()
    log.label(1, "bob", "sad")
    assert log.undo("ann") is None


def test_new_label_after_undo_goes_on_top() -> None:
    log = Log()
    log.label(1, "ann", "sad")
    log.label(1, "ann", "non-sad")
    log.undo("ann")  # back to sad
    log.label(1, "ann", "non-sad")
    assert log.undo("ann").new_label == "sad"
    assert log.undo("ann").new_label is None
    assert log.undo("ann") is None


def test_replay_equals_incremental_state_and_ignores_list_order() -> None:
    log = Log()
    incremental: dict[tuple[int, str], str] = {}
    for step in [
        lambda: log.label(1, "ann", "sad"),
        lambda: log.label(1, "bob", "sad"),
        lambda: log.label(2, "ann", "non-sad"),
        lambda: log.label(1, "ann", "non-sad"),
        lambda: log.undo("ann"),
        lambda: log.label(3, "bob", "sad"),
        lambda: log.undo("bob"),
    ]:
        event = step()
        key = (event.sample_id, event.annotator)
        if event.new_label is None:
            incremental.pop(key)
        else:
            incremental[key] = event.new_label
        assert current_labels(log.events) == incremental
    assert incremental == {(1, "ann"): "sad", (1, "bob"): "sad", (2, "ann"): "non-sad"}
    assert current_labels(list(reversed(log.events))) == incremental


def test_history_is_per_sample_in_seq_order() -> None:
    log = Log()
    log.label(1, "ann", "sad")
    log.label(2, "ann", "sad")
    log.label(1, "bob", "non-sad")
    log.label(1, "ann", "non-sad")
    log.undo("ann")
    events = history(list(reversed(log.events)), 1)
    assert [(e.annotator, e.action, e.seq) for e in events] == [
        ("ann", "create", 1),
        ("bob", "create", 3),
        ("ann", "change", 4),
        ("ann", "undo", 5),
    ]


def test_adjudication_is_separate_from_annotator_labels() -> None:
    log = Log()
    log.label(1, "ann", "sad")
    adj = adjudicate_event({}, 1, "judge", "non-sad", SAD, "tone is flat", seq=9)
    log.events.append(adj)
    assert adjudicated_labels(log.events) == {1: "non-sad"}
    assert current_labels(log.events) == {(1, "ann"): "sad"}
    assert adjudicate_event({1: "non-sad"}, 1, "judge", "non-sad", SAD) is None
    assert log.undo("judge") is None


@pytest.mark.parametrize(
    ("labels", "overlap", "gold", "state"),
    [
        ({}, 2, None, "unlabelled"),
        ({"ann": "sad"}, 2, None, "needs_more"),
        ({"ann": "sad", "bob": "non-sad"}, 3, None, "needs_more"),
        ({"ann": "sad", "bob": "sad"}, 2, None, "agreed"),
        ({"ann": "sad"}, 1, None, "agreed"),
        ({"ann": "sad", "bob": "non-sad"}, 2, None, "disagreement"),
        ({"ann": "sad", "bob": "non-sad"}, 2, "sad", "adjudicated"),
        ({}, 2, "sad", "adjudicated"),
    ],
)
def test_item_state(labels: dict[str, str], overlap: int, gold: str | None, state: str) -> None:
    assert item_state(labels, overlap, gold) == state


def test_gold_majority_with_provenance() -> None:
    labels = {"ann": "sad", "bob": "sad", "cat": "non-sad"}
    assert gold_label(labels) == (
        "sad",
        "majority",
        {
            "votes": {"non-sad": 1, "sad": 2},
            "voters": {"non-sad": ["cat"], "sad": ["ann", "bob"]},
        },
    )


def test_gold_tie_and_min_votes_give_none() -> None:
    assert gold_label({"ann": "sad", "bob": "non-sad"}) is None
    assert gold_label({"ann": "sad"}) is None
    assert gold_label({"ann": "sad"}, min_votes=1)[0] == "sad"
    assert gold_label({"a": "sad", "b": "sad", "c": "x", "d": "x"}) is None
    assert gold_label({"a": "sad", "b": "sad"}, min_votes=3) is None
    assert gold_label({}) is None


def test_gold_adjudicated_wins_over_majority() -> None:
    label, source, provenance = gold_label({"ann": "sad", "bob": "sad"}, adjudicated="non-sad")
    assert (label, source) == ("non-sad", "adjudicated")
    assert provenance["votes"] == {"sad": 2}
    assert provenance["adjudicated"] == "non-sad"


def test_unknown_action_is_rejected() -> None:
    with pytest.raises(ValueError, match="redo"):
        Event(1, "ann", "redo", None, "sad")
