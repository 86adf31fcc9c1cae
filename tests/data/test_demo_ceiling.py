"""The demo ceiling: exact enumeration of the generator's noise model, checked against it."""

from __future__ import annotations

import numpy as np
import pytest

from amm_core.data import demo_ceiling as dc
from amm_core.data.demo_mgid import plan_posts


def test_the_table_is_a_distribution_and_orders_the_rules_sensibly():
    table = dc.joint_table()
    assert sum(p0 + p1 for p0, p1 in table.values()) == pytest.approx(1.0)
    joint = dc.best_accuracy(table)
    caption = dc.best_accuracy(dc.marginal(table, 0))
    picture = dc.best_accuracy(dc.marginal(table, 1))
    assert 0.5 < caption < joint and 0.5 < picture < joint < 1.0
    assert dc.additive_accuracy(table) <= joint + 1e-12


def test_the_enumeration_matches_what_the_generator_draws():
    """On 6,000 freshly generated posts the best rule scores its expected accuracy (+-1.5 pt):
    this fails if the generator's channels change and the enumeration does not follow."""
    posts = plan_posts(np.random.default_rng([123, 1]), 6000)
    table = dc.joint_table()
    reached = dc.ceiling(posts, table)
    assert reached["caption + picture"] == pytest.approx(100 * dc.best_accuracy(table), abs=1.5)
    assert reached["caption"] == pytest.approx(100 * dc.best_accuracy(dc.marginal(table, 0)),
                                               abs=1.5)
    assert reached["picture"] == pytest.approx(100 * dc.best_accuracy(dc.marginal(table, 1)),
                                               abs=1.5)
    assert reached["additive"] == pytest.approx(100 * dc.additive_accuracy(table), abs=1.5)


def test_masking_posts_need_caption_and_picture_together():
    """Opposite moods (a cheerful caption over a dark scene, or the reverse) mean depressed, the
    same mood twice means not: an exclusive or that no sum of per-modality evidence expresses,
    so the additive rule falls well short of the best one (what lets the AMM pass the probe)."""
    table = dc.joint_table()
    for caption, picture, depressed in [("happiness", "fear", True), ("anger", "surprise", True),
                                        ("happiness", "happiness", False),
                                        ("fear", "fear", False)]:
        p_not, p_depressed = table[(caption, picture)]
        assert (p_depressed > p_not) == depressed, (caption, picture)
    assert dc.best_accuracy(table) - dc.additive_accuracy(table) > 0.05
    posts = plan_posts(np.random.default_rng([5, 1]), 2000)
    masked = [p for p in posts if p.depression and {dc.observed_text(p.text), p.image_class}
              in ({"happiness", "fear"}, {"surprise", "anger"})]
    assert len(masked) > 20  # the generator really writes them


def test_captions_are_read_back_to_the_view_the_generator_chose():
    assert dc.observed_text("") == dc.BLANK
    sad = "A sad woman sitting alone by a rainy window, lifestyle."
    assert dc.observed_text(sad) == "depressed"
    assert dc.observed_text("A nurse at home, close-up.") == ("vague", "at home")


def test_the_note_names_the_demo_test_ceiling_and_only_for_the_demo():
    posts = dc.demo_posts("test")
    rows = [(p.asset_id, p.depression) for p in posts]
    note = dc.ceiling_note(rows)
    figures = dc.ceiling(posts)
    assert note is not None and f"is {figures['caption + picture']:.1f} (caption alone" in note
    assert 0 < figures["caption"] < figures["caption + picture"] < 100
    flipped = rows[:-1] + [(rows[-1][0], not rows[-1][1])]
    assert dc.ceiling_note(flipped) is None  # another corpus (or a relabelled one): no claim
    assert dc.ceiling_note(rows[:-1]) is None
