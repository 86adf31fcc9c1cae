"""Write a synthetic MGID corpus (train/dev/test/dataset CSVs + drawn images) in MGID's format.

Labels follow MGID's shape: balanced depression per split, TRUE rows mostly `depressed` in train
but mostly `Neutral` in dev/test, a quarter empty captions, and a few shared images for the audit.
Each modality is sometimes vague (a caption several classes share, a picture that shows none) or
shows another class, and a few labels are wrong, so text and picture together beat either alone.
Some depressed posts mask: caption and picture show opposite moods (a cheerful caption over a
dark scene, or angry / frightened words under a cheerful picture), while congruent posts of those
moods are not depressed. No sum of per-modality evidence can tell those apart; a model that
relates the two modalities can (demo_ceiling.py measures the gap).
"""

from __future__ import annotations

import csv
import io
import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from amm_core.data import demo_text as vocab
from amm_core.data.demo_images import AMBIGUOUS, draw_picture, encode_jpeg
from amm_core.data.mgid_csv import HEADER  # the reader's header is the one source of truth

# MGID's real spelling of each emotion in the CSV (inconsistent case on purpose).
CSV_EMOTION = {
    "depressed": "depressed",
    "neutral": "Neutral",
    "happiness": "Happiness",
    "fear": "Fear",
    "surprise": "Surprise",
    "anger": "Anger",
}
NOT_DEPRESSED_EMOTIONS = ("neutral", "happiness", "fear", "surprise", "anger")
# Test gets the rest. Dev and test are larger shares than MGID's so that the demo's experiment
# suite has the statistical power to separate variants (600 posts: 360 / 90 / 150).
SPLIT_SHARES = {"train": 0.6, "dev": 0.15}
# Share of depressed (TRUE) rows whose emotion is `Neutral`: MGID's split shift, softened.
TRUE_NEUTRAL_SHARE = {"train": 0.15, "dev": 0.7, "test": 0.7}
ARCHIVE_SHARE = 0.08  # TRUE rows that are archival photos of the economic Depression
# TRUE rows that mask ("smiling depression"): caption and picture show moods of opposite valence,
# one bright and one dark, in either order. Congruent bright or dark posts are FALSE, so the label
# is an exclusive or of the two modalities' valence for these moods: a linear probe cannot
# express it, an attention model reading both modalities together can.
MASKED = "masked"
MASKED_SHARE = 0.3
BRIGHT_MOODS, DARK_MOODS = ("happiness", "surprise"), ("fear", "anger")
TEXT_NOISE, IMAGE_NOISE = 0.12, 0.12  # independent chances that a modality shows another class
LABEL_NOISE = 0.05  # chance that the whole post shows another class (weak keyword labels)
# Independent chances that a modality is vague: a caption built on a phrase several classes share
# (demo_text.SHARED_SCENES), a look-alike picture that shows no class. Then only the other
# modality tells the class, so combining text and picture pays (archive posts stay explicit).
VAGUE_TEXT, VAGUE_IMAGE = 0.3, 0.3
# Getty URL folder, the word before "-id" in the URL, the title's "stock ..." word, and share.
ASSET_KINDS = (
    ("photos", "picture", "photo", 0.85),
    ("illustrations", "illustration", "illustration", 0.10),
    ("vectors", "vector", "vector", 0.05),
)
URL_BASE = "https://media.gettyimages.com"
BARE_URL_TEXT = "https://www.example.org/synthetic-demo/caption-not-available"


@dataclass(frozen=True)
class DemoPost:
    """One CSV row of the demo, plus what its image shows (`image_class`)."""

    split: str
    depression: bool
    emotion: str  # MGID_EMOTIONS name (lower case)
    title: str
    text: str
    url: str
    asset_id: str
    image_class: str

    def csv_fields(self) -> list[str]:
        label = "TRUE" if self.depression else "FALSE"
        return [label, CSV_EMOTION[self.emotion], self.title, self.text, self.url]


def write_mgid_demo(csv_dir: Path, images_dir: Path, seed: int, n_posts: int) -> list[DemoPost]:
    """Write the CSVs under `csv_dir` and one `<asset id>.jpg` per distinct image."""
    posts = plan_posts(np.random.default_rng([seed, 1]), n_posts)
    write_csvs(csv_dir, posts)
    _write_images(images_dir, posts, seed)
    return posts


def plan_posts(rng: np.random.Generator, n_posts: int) -> list[DemoPost]:
    """All rows in CSV order (train, dev, test), including the shared-image rows."""
    sizes = _split_sizes(n_posts)
    asset_ids = _asset_ids(rng, n_posts)
    posts: list[DemoPost] = []
    for split, size in sizes.items():
        for depression, emotion in _labels(rng, split, size):
            posts.append(_post(rng, split, depression, emotion, asset_ids[len(posts)]))
    posts = _share_images(rng, posts)
    return _blank_texts(rng, posts)


def _split_sizes(n_posts: int) -> dict[str, int]:
    train = round(n_posts * SPLIT_SHARES["train"])
    dev = round(n_posts * SPLIT_SHARES["dev"])
    return {"train": train, "dev": dev, "test": n_posts - train - dev}


def _labels(rng: np.random.Generator, split: str, size: int) -> list[tuple[bool, str]]:
    """Half TRUE (mostly `depressed` in train, mostly `neutral` elsewhere), half FALSE."""
    n_true = size // 2
    n_neutral = round(n_true * TRUE_NEUTRAL_SHARE[split])
    labels = [(True, "neutral")] * n_neutral + [(True, "depressed")] * (n_true - n_neutral)
    cycle = NOT_DEPRESSED_EMOTIONS
    labels += [(False, cycle[i % len(cycle)]) for i in range(size - n_true)]
    order = rng.permutation(len(labels))
    return [labels[i] for i in order]


def _asset_ids(rng: np.random.Generator, count: int) -> list[str]:
    """Distinct Getty-like asset ids (9 or 10 digits)."""
    ids: list[str] = []
    seen: set[int] = set()
    while len(ids) < count:
        value = int(rng.integers(100_000_000, 2_000_000_000))
        if value not in seen:
            seen.add(value)
            ids.append(str(value))
    return ids


def _post(
    rng: np.random.Generator, split: str, depression: bool, emotion: str, asset_id: str
) -> DemoPost:
    content = _content(rng, depression, emotion)
    if content == MASKED:  # explicit: no noise, no vague side
        text_class, image_class = _masked_moods(rng)
        vague_text = False
    else:
        content = _maybe_other(rng, content, LABEL_NOISE)
        text_class = _maybe_other(rng, content, TEXT_NOISE)
        image_class = _maybe_other(rng, content, IMAGE_NOISE)
        vague_text = content != "archive" and rng.random() < VAGUE_TEXT
        if content != "archive" and rng.random() < VAGUE_IMAGE:
            image_class = AMBIGUOUS
    folder, asset_word, suffix = _asset_kind(rng, text_class)
    title = "Synthetic " + _title(rng, text_class)
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    return DemoPost(
        split=split,
        depression=depression,
        emotion=emotion,
        title=f"{title} - stock {suffix}" if rng.random() < 0.85 else title,
        text=_vague_caption(rng, text_class) if vague_text else _caption(rng, text_class),
        url=f"{URL_BASE}/{folder}/{slug}-{asset_word}-id{asset_id}",
        asset_id=asset_id,
        image_class=image_class,
    )


def _content(rng: np.random.Generator, depression: bool, emotion: str) -> str:
    """What the post is about before noise: its emotion, or for TRUE rows depressed / archive /
    masked."""
    if not depression:
        return emotion
    draw = rng.random()
    if draw < ARCHIVE_SHARE:
        return "archive"
    return MASKED if draw < ARCHIVE_SHARE + MASKED_SHARE else "depressed"


def _masked_moods(rng: np.random.Generator) -> tuple[str, str]:
    """(caption class, picture class) of a masking post: one bright and one dark mood."""
    bright, dark = _pick(rng, BRIGHT_MOODS), _pick(rng, DARK_MOODS)
    return (bright, dark) if rng.random() < 0.5 else (dark, bright)


def _maybe_other(rng: np.random.Generator, content: str, chance: float) -> str:
    if rng.random() >= chance:
        return content
    others = [c for c in vocab.BASE_CLASSES if c != content]
    return others[int(rng.integers(len(others)))]


def _asset_kind(rng: np.random.Generator, content: str) -> tuple[str, str, str]:
    if content == "archive":
        return ASSET_KINDS[0][:3]
    shares = np.array([kind[3] for kind in ASSET_KINDS])
    return ASSET_KINDS[int(rng.choice(len(ASSET_KINDS), p=shares))][:3]


def _pick(rng: np.random.Generator, options: tuple[str, ...]) -> str:
    return options[int(rng.integers(len(options)))]


def _title(rng: np.random.Generator, content: str) -> str:
    if content == "archive":
        return _pick(rng, vocab.ARCHIVE_TITLES)
    adjective, person = _pick(rng, vocab.ADJECTIVES[content]), _pick(rng, vocab.PEOPLE)
    scene, age = _pick(rng, vocab.SCENES[content]), _pick(rng, vocab.AGES)
    templates = (
        f"portrait of {age} {adjective} {person}",
        f"{adjective} {person} {scene}",
        f"{age} {person} {scene}",  # no mood word: only the scene tells
    )
    return templates[int(rng.choice(3, p=[0.4, 0.45, 0.15]))]


def _caption(rng: np.random.Generator, content: str) -> str:
    if content == "archive":
        return _pick(rng, vocab.ARCHIVE_CAPTIONS)
    adjective, person = _pick(rng, vocab.ADJECTIVES[content]), _pick(rng, vocab.PEOPLE)
    article = "An" if adjective[0] in "aeiou" else "A"
    scene, tail = _pick(rng, vocab.SCENES[content]), _pick(rng, vocab.CAPTION_TAILS[content])
    return f"{article} {adjective} {person} {scene}{tail}."


def _vague_caption(rng: np.random.Generator, content: str) -> str:
    """A caption on a phrase `content` shares with other classes, with no mood word."""
    phrases = tuple(p for p, classes in vocab.SHARED_SCENES.items() if content in classes)
    person = _pick(rng, vocab.PEOPLE)
    person = f"{'An' if person[0] in 'aeiou' else 'A'} {person}"
    return f"{person} {_pick(rng, phrases)}{_pick(rng, vocab.VAGUE_TAILS)}."


def _share_images(rng: np.random.Generator, posts: list[DemoPost]) -> list[DemoPost]:
    """Make a few rows reuse another row's image, as MGID does (its audit should find them).

    One train image shown with conflicting labels, one train image repeated in test (leakage)
    and three repeats inside train. The repeating rows keep their labels, so counts stay exact.
    """
    posts = list(posts)
    train = [i for i, p in enumerate(posts) if p.split == "train"]
    test = [i for i, p in enumerate(posts) if p.split == "test"]
    used: set[int] = set()

    def pick(pool: list[int], want: tuple[bool, str] | None) -> int | None:
        fits = [i for i in pool if i not in used and (want is None or _key(posts[i]) == want)]
        if not fits:
            return None
        choice = fits[int(rng.integers(len(fits)))]
        used.add(choice)
        return choice

    pairs: list[tuple[int | None, int | None]] = []
    pairs.append((pick(train, (True, "depressed")), pick(train, (False, "neutral"))))
    for pool in (test, train, train, train):  # one repeat across splits, three inside train
        target = pick(pool, None)
        pairs.append((pick(train, _key(posts[target])) if target is not None else None, target))
    for source, target in pairs:
        if source is not None and target is not None:
            posts[target] = _copy_image(posts[source], posts[target])
    return posts


def _key(post: DemoPost) -> tuple[bool, str]:
    return post.depression, post.emotion


def _copy_image(source: DemoPost, target: DemoPost) -> DemoPost:
    return replace(
        target,
        title=source.title,
        text=source.text,
        url=source.url,
        asset_id=source.asset_id,
        image_class=source.image_class,
    )


def _blank_texts(rng: np.random.Generator, posts: list[DemoPost]) -> list[DemoPost]:
    """Empty the Text of exactly a quarter of each split's rows; one train row gets a bare URL."""
    posts = list(posts)
    for split in ("train", "dev", "test"):
        rows = rng.permutation([i for i, p in enumerate(posts) if p.split == split])
        quarter = len(rows) // 4
        for i in rows[:quarter]:
            posts[i] = replace(posts[i], text="")
        if split == "train" and len(rows) > quarter:
            posts[rows[quarter]] = replace(posts[rows[quarter]], text=BARE_URL_TEXT)
    return posts


def csv_bytes(posts: list[DemoPost]) -> bytes:
    """One MGID CSV: UTF-8 with BOM, minimal quoting, LF line endings."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(post.csv_fields() for post in posts)
    return buffer.getvalue().encode("utf-8-sig")


def write_csvs(csv_dir: Path, posts: list[DemoPost]) -> None:
    """`<split>/<split>.csv` per split and `dataset.csv` with every row, in MGID's layout."""
    for split in ("train", "dev", "test"):
        (csv_dir / split).mkdir(parents=True, exist_ok=True)
        rows = [post for post in posts if post.split == split]
        (csv_dir / split / f"{split}.csv").write_bytes(csv_bytes(rows))
    (csv_dir / "dataset.csv").write_bytes(csv_bytes(posts))


def _write_images(images_dir: Path, posts: list[DemoPost], seed: int) -> None:
    images_dir.mkdir(parents=True, exist_ok=True)
    distinct = {post.asset_id: post.image_class for post in posts}

    def write(item: tuple[str, str]) -> None:
        asset_id, image_class = item
        rng = np.random.default_rng([seed, 2, int(asset_id)])  # order-free: safe in threads
        (images_dir / f"{asset_id}.jpg").write_bytes(encode_jpeg(draw_picture(image_class, rng)))

    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        list(pool.map(write, distinct.items()))
