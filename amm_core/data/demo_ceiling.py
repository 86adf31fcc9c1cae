"""The best any model can do on the demo MGID corpus, from the generator's own noise model.

The demo generator (demo_mgid.py) draws each post's label, then what its caption and picture show
through independent noisy channels (label noise, "shows another class", vague captions and
pictures, empty captions; masking posts, whose caption and picture show opposite moods). Knowing
those channels exactly, the best possible depression rule for an observation (the caption's
class, vague phrase or emptiness; the picture's class or ambiguity) predicts the more probable
label given it. `joint_table` enumerates the channels exactly; `ceiling` applies the rule to
actual posts. A model that perceived both modalities perfectly could still not beat these
figures, so they bound what an experiment on the demo can show between variants (README,
`bench/demo_ceiling.py`, `amm experiment` notes). The *additive* rule, the sum of the two
modalities' log-odds each read alone, stands for what a sum of per-modality evidence (a linear
probe) can do: the masking posts, an exclusive or of the two modalities' valence, put it well
below the best rule.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Sequence

import numpy as np

from amm_core.data import demo_mgid as gen
from amm_core.data import demo_text as vocab
from amm_core.data.demo_images import AMBIGUOUS

BLANK, ARCHIVE = "blank", "archive"
EMPTY_SHARE = 0.25  # demo_mgid._blank_texts: a quarter of each split
DEMO_SEED, DEMO_POSTS = 7, 600  # what `amm demo` writes (demo.write_demo_corpora defaults)
Table = dict[tuple[object, str], list[float]]  # (text view, image view) -> [P(not), P(depressed)]


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


def _masked_views() -> dict[tuple[object, str], float]:
    """demo_mgid._masked_moods, then the empty captions: (caption view, picture view) pairs."""
    pairs = [(b, d) for b in gen.BRIGHT_MOODS for d in gen.DARK_MOODS]
    views: dict[tuple[object, str], float] = defaultdict(float)
    for bright, dark in pairs:
        for text, image in ((bright, dark), (dark, bright)):
            p = 0.5 / len(pairs)
            views[(text, image)] += p * (1 - EMPTY_SHARE)
            views[(BLANK, image)] += p * EMPTY_SHARE
    return views


def _view_pairs(content: str) -> dict[tuple[object, str], float]:
    """P(caption view, picture view | content); independent channels except for masking."""
    if content == gen.MASKED:
        return _masked_views()
    images = _image_views(content)
    return {(text, image): pt * pi
            for text, pt in _text_views(content).items() for image, pi in images.items()}


def _contents() -> dict[tuple[str, bool], float]:
    """P(content after label noise, label); masking posts get no label noise."""
    depressed_share = 1 - gen.ARCHIVE_SHARE - gen.MASKED_SHARE
    drawn = [(True, ARCHIVE, gen.ARCHIVE_SHARE), (True, "depressed", depressed_share)]
    share = 1 / len(gen.NOT_DEPRESSED_EMOTIONS)
    drawn += [(False, emotion, share) for emotion in gen.NOT_DEPRESSED_EMOTIONS]
    contents: dict[tuple[str, bool], float] = defaultdict(float)
    contents[(gen.MASKED, True)] = 0.5 * gen.MASKED_SHARE
    for depressed, content, prior in drawn:
        for shown, p in _channel(content, gen.LABEL_NOISE).items():
            contents[(shown, depressed)] += 0.5 * prior * p
    return contents


def joint_table() -> Table:
    """P(text view, image view, label), enumerated exactly."""
    table: Table = defaultdict(lambda: [0.0, 0.0])
    for (content, depressed), p in _contents().items():
        for key, pv in _view_pairs(content).items():
            table[key][int(depressed)] += p * pv
    return dict(table)


def marginal(table: Table, index: int) -> dict[object, list[float]]:
    """The table over one view only (0: caption, 1: picture)."""
    out: dict[object, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for key, (p0, p1) in table.items():
        out[key[index]][0] += p0
        out[key[index]][1] += p1
    return dict(out)


def best_accuracy(table: dict) -> float:
    """Expected accuracy of the best rule on the views a table keeps."""
    return sum(max(p) for p in table.values())


def additive_accuracy(table: Table) -> float:
    """Expected accuracy of sign(log-odds(caption) + log-odds(picture)), each read alone."""
    rule = additive_rule(table)
    return sum(p[int(rule(t, i))] for (t, i), p in table.items())


def additive_rule(table: Table) -> Callable[[object, str], bool]:
    """(caption view, picture view) -> depressed?, by the sum of the two views' log-odds."""
    text, image = _log_odds(marginal(table, 0)), _log_odds(marginal(table, 1))

    def rule(caption: object, picture: str) -> bool:
        total = text.get(caption, 0.0) + image.get(picture, 0.0)
        return bool(total > 0)  # +inf - inf (nan) is False: not depressed

    return rule


def _log_odds(views: dict[object, list[float]]) -> dict[object, float]:
    """log P(depressed | view) / P(not | view); a view only one label produces gets +-inf."""
    return {k: math.log(p1 / p0) if p0 and p1 else math.copysign(math.inf, p1 - p0)
            for k, (p0, p1) in views.items()}


def observed_text(text: str) -> object:
    """A caption's view, read back from its words (a scene phrase names one class)."""
    if not text or text == gen.BARE_URL_TEXT:
        return BLANK
    if text in vocab.ARCHIVE_CAPTIONS:
        return ARCHIVE
    for content, scenes in vocab.SCENES.items():
        if any(f" {scene}" in text for scene in scenes):
            return content
    return next((("vague", ph) for ph in vocab.SHARED_SCENES if f" {ph}" in text), BLANK)


def ceiling(posts: Sequence[gen.DemoPost], table: Table | None = None) -> dict[str, float]:
    """Accuracy (%) the best rule reaches on `posts`: caption + picture, each alone."""
    table = table or joint_table()
    views = {"caption + picture": table, "caption": marginal(table, 0),
             "picture": marginal(table, 1)}
    additive = additive_rule(table)
    hits = dict.fromkeys([*views, "additive"], 0)
    for post in posts:
        text = observed_text(post.text)
        keys = {"caption + picture": (text, post.image_class), "caption": text,
                "picture": post.image_class}
        for name, key in keys.items():
            p0, p1 = views[name].get(key, (0.5, 0.5))
            hits[name] += (p1 > p0) == post.depression
        hits["additive"] += additive(text, post.image_class) == post.depression
    return {name: round(100 * n / max(len(posts), 1), 1) for name, n in hits.items()}


def demo_posts(split: str, seed: int = DEMO_SEED, n_posts: int = DEMO_POSTS) -> list[gen.DemoPost]:
    """The posts `amm demo` wrote for one split, in CSV order (regenerated, nothing read)."""
    posts = gen.plan_posts(np.random.default_rng([seed, 1]), n_posts)
    return [post for post in posts if post.split == split]


def ceiling_note(test_rows: Sequence[tuple[str | None, bool | None]]) -> str | None:
    """The experiment-report line for the demo's test split, given its rows in CSV order as
    (asset id, depression label); None unless they are exactly the posts `amm demo` wrote."""
    posts = demo_posts("test")
    if [(post.asset_id, post.depression) for post in posts] != list(test_rows):
        return None
    figures = ceiling(posts)
    return (f"demo ceiling: the best possible depression micro-F1 on this test split, from the "
            f"demo generator's own noise model, is {figures['caption + picture']:.1f} (caption "
            f"alone {figures['caption']:.1f}, picture alone {figures['picture']:.1f}); summing "
            f"the two modalities' evidence reaches {figures['additive']:.1f}, as the masking "
            f"posts need caption and picture read together; rows within a point or two of the "
            f"ceiling cannot be told apart here (bench/demo_ceiling.py)")
