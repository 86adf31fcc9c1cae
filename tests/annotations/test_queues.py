"""Next-item queue: each strategy, the chains, roles, skips and the all-done case."""

from __future__ import annotations

import pytest

from annotations.queues import (
    ADJUDICATOR_CHAIN,
    DEFAULT_CHAIN,
    QueueChoice,
    QueueContext,
    QueueItem,
    continue_session,
    disagreements,
    first_unlabelled,
    needs_overlap,
    next_item,
    uncertain_first,
)


def daic_items() -> list[QueueItem]:
    """Three DAIC-like sessions (300, 301, 302) of 3 utterances; sample ids 1..9."""
    return [
        QueueItem(sample_id=s * 3 + k + 1, session_id=str(300 + s), order=k)
        for s in range(3)
        for k in range(3)
    ]


def ctx(**kwargs) -> QueueContext:
    base = {"items": daic_items(), "labels": {}, "annotator": "ann", "role": "annotator"}
    return QueueContext(**{**base, **kwargs})


def test_continue_session_goes_to_next_open_item_in_order() -> None:
    labels = {5: {"ann": "sad"}, 6: {"bob": "sad"}}
    assert continue_session(ctx(labels=labels, last_sample=4)) == QueueChoice(
        6, "continuing session 301 in order"
    )
    # items done by me, skipped by me or already at overlap are passed over
    assert continue_session(ctx(labels=labels, last_sample=4, skipped={6})) is None
    full = {5: {"bob": "sad", "cat": "sad"}}
    assert continue_session(ctx(labels=full, last_sample=4)).sample_id == 6


def test_continue_session_without_a_next_item() -> None:
    assert continue_session(ctx(last_sample=9)) is None  # last utterance of session 302
    assert continue_session(ctx()) is None
    assert continue_session(ctx(last_sample=99)) is None


def test_needs_overlap_prefers_items_closest_to_overlap() -> None:
    labels = {2: {"bob": "sad"}, 7: {"bob": "sad", "cat": "non-sad"}, 8: {"ann": "sad"}}
    choice = needs_overlap(ctx(labels=labels, overlap=3))
    assert choice == QueueChoice(7, "needs 1 more label to reach the overlap of 3 (has 2)")
    choice = needs_overlap(ctx(labels=labels, overlap=3, skipped={7}))
    assert choice == QueueChoice(2, "needs 2 more labels to reach the overlap of 3 (has 1)")
    # with overlap 2, item 7 is complete and item 8 carries my own label
    assert needs_overlap(ctx(labels=labels)).sample_id == 2
    assert needs_overlap(ctx(labels={8: {"ann": "sad"}})) is None


def test_disagreements_for_adjudicators_only() -> None:
    labels = {3: {"ann": "sad", "bob": "sad"}, 5: {"ann": "sad", "bob": "non-sad"}}
    assert disagreements(ctx(labels=labels)) is None
    choice = disagreements(ctx(labels=labels, annotator="judge", role="adjudicator"))
    assert choice == QueueChoice(5, "annotators disagree (non-sad ×1, sad ×1); please adjudicate",
                                 adjudicate=True)  # the click decides the gold label
    done = ctx(labels=labels, annotator="judge", role="adjudicator", adjudicated={5})
    assert disagreements(done) is None


def test_uncertain_first_picks_the_least_confident_item() -> None:
    """Confidence is the top class's probability: binary p = 0.52 is 0.52, p = 0.45 is 0.55."""
    confidence = {1: 0.9, 4: 0.55, 6: 0.52, 8: 0.9}
    assert uncertain_first(ctx(uncertainty=confidence)) == QueueChoice(
        6, "the model is unsure here (its top class has p = 0.52)"
    )
    labelled = ctx(uncertainty=confidence, labels={6: {"ann": "sad"}})
    assert uncertain_first(labelled).sample_id == 4
    assert uncertain_first(ctx()) is None


def test_the_item_just_undone_comes_back_first() -> None:
    back = ctx(labels={4: {"ann": "sad"}}, last_sample=4, returning=4)
    assert next_item(back) == QueueChoice(4, "back to the item whose label you undid")
    assert next_item(ctx(returning=999)).sample_id == 1  # not in this dataset: ignored


def test_first_unlabelled_in_dataset_order_with_skips() -> None:
    labels = {1: {"ann": "sad"}, 2: {"bob": "sad", "cat": "sad"}}
    assert first_unlabelled(ctx(labels=labels)) == QueueChoice(
        3, "next unlabelled item in dataset order"
    )
    assert first_unlabelled(ctx(labels=labels, skipped={3, 4})).sample_id == 5


def test_chain_order_and_reasons() -> None:
    labels = {4: {"ann": "sad"}, 8: {"bob": "sad"}}
    probs = {9: 0.5}
    assert (continue_session, needs_overlap, uncertain_first, first_unlabelled) == DEFAULT_CHAIN
    assert ADJUDICATOR_CHAIN[0] is disagreements
    steps = ctx(labels=labels, last_sample=4, uncertainty=probs)
    assert next_item(steps).reason == "continuing session 301 in order"
    steps.last_sample = None
    assert next_item(steps).sample_id == 8
    steps.skipped = {8}
    assert next_item(steps) == QueueChoice(
        9, "the model is unsure here (its top class has p = 0.50)")
    steps.uncertainty = None
    assert next_item(steps) == QueueChoice(1, "next unlabelled item in dataset order")


def test_adjudicator_sees_disagreements_first_annotator_does_not() -> None:
    labels = {7: {"ann": "sad", "bob": "non-sad"}}
    assert next_item(ctx(labels=labels, annotator="cat")).sample_id == 1
    judge = ctx(labels=labels, annotator="judge", role="adjudicator")
    assert next_item(judge).sample_id == 7
    judge.adjudicated = {7}
    assert next_item(judge).sample_id == 1  # then annotates like anyone else


def test_all_done_returns_none() -> None:
    everything = {i.sample_id: {"ann": "sad"} for i in daic_items()}
    assert next_item(ctx(labels=everything, overlap=1, annotator="bob")) is None
    assert next_item(ctx(labels=everything)) is None  # I labelled all of it myself
    assert next_item(ctx(skipped={i.sample_id for i in daic_items()})) is None
    assert next_item(ctx(items=[])) is None


def test_unknown_role_is_rejected() -> None:
    with pytest.raises(ValueError, match="reviewer"):
        next_item(ctx(role="reviewer"))
