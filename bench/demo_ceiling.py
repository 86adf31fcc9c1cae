"""How well *any* model can do on the demo MGID corpus (printed, not asserted):

    python bench/demo_ceiling.py [--seed 7] [--posts 600]

The demo generator (amm_core/data/demo_mgid.py) draws each post's label, then what its caption
and picture show through independent noisy channels (another class, vague, empty). Knowing those
channels exactly, the best possible depression rule for an observation (caption class or vague
phrase or empty; picture class or ambiguous) is the more probable label given it. This script
computes that Bayes rule by exact enumeration and prints:

- the expected accuracy of the best rule on caption + picture, on the caption alone, on the picture
  alone, and of the best *additive* rule (sum of per-modality log-odds, what a linear probe on
  perfect features can express);
- the accuracy the best rule reaches on the demo's actual train / dev / test posts.

A model that perceives both modalities perfectly still cannot pass these figures, so they bound
what `amm experiment --dataset demo-mgid` can show between variants.
"""

from __future__ import annotations

import argparse
import math
from collections import defaultdict

import numpy as np

from amm_core.data import demo_mgid as gen
from amm_core.data import demo_text as vocab
from amm_core.data.demo_images import AMBIGUOUS

BLANK, ARCHIVE = "blank", "archive"
EMPTY_SHARE = 0.25  # demo_mgid._blank_texts: a quarter of each split


def _channel(content: str, chance: float) -> dict[str, float]:
    """demo_mgid._maybe_other: the class a modality shows, given the post's content."""
    others = [c for c in vocab.BASE_CLASSES if c != content]
    out = defaultdict(float, {content: 1.0 - chance})
    for other in others:
        out[other] += chance / len(others)
    return out


def _text_views(content: str) -> dict[object, float]:
    """What a caption lets one observe: its class, a vague phrase, or nothing."""
    views: dict[object, float] = defaultdict(float)
    vague = 0.0 if content == ARCHIVE else gen.VAGUE_TEXT
    for shown, p in _channel(content, gen.TEXT_NOISE).items():
        views[shown] += p * (1 - vague)
        phrases = [ph for ph, classes in vocab.SHARED_SCENES.items() if shown in classes]
        for phrase in phrases:
            views[("vague", phrase)] += p * vague / len(phrases)
    return {BLANK: EMPTY_SHARE, **{k: v * (1 - EMPTY_SHARE) for k, v in views.items()}}


def _image_views(content: str) -> dict[str, float]:
    vague = 0.0 if content == ARCHIVE else gen.VAGUE_IMAGE
    views: dict[str, float] = defaultdict(float, {AMBIGUOUS: vague})
    for shown, p in _channel(content, gen.IMAGE_NOISE).items():
        views[shown] += p * (1 - vague)
    return views


def joint_table() -> dict[tuple[object, str], list[float]]:
    """P(text view, image view, label) as {(text, image): [P(not depressed), P(depressed)]}."""
    contents: dict[tuple[str, bool], float] = defaultdict(float)
    for depressed, drawn in [(True, ARCHIVE), (True, "depressed")] + [
        (False, e) for e in gen.NOT_DEPRESSED_EMOTIONS
    ]:
        prior = 0.5 * ((gen.ARCHIVE_SHARE if drawn == ARCHIVE else 1 - gen.ARCHIVE_SHARE)
                       if depressed else 1 / len(gen.NOT_DEPRESSED_EMOTIONS))
        for content, p in _channel(drawn, gen.LABEL_NOISE).items():
            contents[(content, depressed)] += prior * p
    table: dict[tuple[object, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
    for (content, depressed), p in contents.items():
        for text, pt in _text_views(content).items():
            for image, pi in _image_views(content).items():
                table[(text, image)][int(depressed)] += p * pt * pi
    return table


def _marginal(table, index: int) -> dict[object, list[float]]:
    out: dict[object, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for key, (p0, p1) in table.items():
        out[key[index]][0] += p0
        out[key[index]][1] += p1
    return out


def _best(table) -> float:
    return sum(max(p) for p in table.values())


def additive_accuracy(table) -> float:
    """Accuracy of sign(log-odds(text) + log-odds(image)): the best a sum of parts can use."""
    text, image = _log_odds(_marginal(table, 0)), _log_odds(_marginal(table, 1))
    return sum(p[int(text[t] + image[i] > 0)] for (t, i), p in table.items())


def _log_odds(marginal: dict[object, list[float]]) -> dict[object, float]:
    """log P(depressed | view) / P(not | view); a view only one label produces gets +-inf."""
    return {k: math.log(p1 / p0) if p0 and p1 else math.copysign(math.inf, p1 - p0)
            for k, (p0, p1) in marginal.items()}


def observed_text(post: gen.DemoPost) -> object:
    """The caption's view, read back from its words (the scene phrase names the class)."""
    text = post.text
    if not text or text == gen.BARE_URL_TEXT:
        return BLANK
    if text in vocab.ARCHIVE_CAPTIONS:
        return ARCHIVE
    for content, scenes in vocab.SCENES.items():
        if any(f" {scene}" in text for scene in scenes):
            return content
    return next(("vague", ph) for ph in vocab.SHARED_SCENES if f" {ph}" in text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--posts", type=int, default=600)
    args = parser.parse_args()
    table = joint_table()
    print(f"expected accuracy of the best rule (depression): caption + picture "
          f"{100 * _best(table):.1f} %, caption alone {100 * _best(_marginal(table, 0)):.1f} %, "
          f"picture alone {100 * _best(_marginal(table, 1)):.1f} %; best additive rule "
          f"{100 * additive_accuracy(table):.1f} %")
    posts = gen.plan_posts(np.random.default_rng([args.seed, 1]), args.posts)
    for split in ("train", "dev", "test"):
        rows = [p for p in posts if p.split == split]
        hits = {"caption + picture": 0, "caption": 0, "picture": 0}
        for post in rows:
            text, image = observed_text(post), post.image_class
            rules = {"caption + picture": table[(text, image)],
                     "caption": _marginal(table, 0)[text], "picture": _marginal(table, 1)[image]}
            for name, (p0, p1) in rules.items():
                hits[name] += (p1 > p0) == post.depression
        figures = ", ".join(f"{name} {100 * n / len(rows):.1f} %" for name, n in hits.items())
        print(f"demo seed {args.seed}, {split} ({len(rows)} posts), best rule reaches: {figures}")


if __name__ == "__main__":
    main()
