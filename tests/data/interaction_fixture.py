"""An MGID-format corpus whose depression label needs caption and picture *together*.

Each post has a caption of one mood (sad or happy, demo vocabulary) and a picture of one mood
(the demo's drawings), drawn independently; the post is depressed (TRUE) when the two disagree,
a "smiling depression" post: a cheerful caption over a bleak picture, or the reverse. Either
modality alone then says nothing about the label (50 %), and neither does any sum of the two:
a linear probe on the concatenated pooled features cannot represent the exclusive or, so it sits
near chance. The AMM can: its task LSTMs read both modalities' steps as one sequence, non-linearly
(with the inter-modal attention relating them; the attention ablations keep the LSTMs). This is a
capability check of the architecture, not a claim about real MGID, where labels are not built this
way. The demo corpus mixes a share of such masking posts into otherwise additive labels
(demo_mgid.MASKED_SHARE).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from amm_core.data.demo_images import draw_picture, encode_jpeg
from amm_core.data.demo_mgid import DemoPost, _caption, write_csvs

MOODS = ("depressed", "happiness")  # demo content classes: a sad and a cheerful one
# 720 training posts: at batch 64 that is 12 optimiser steps an epoch. With 240 (4 steps) the
# 20-epoch runs of the experiment escaped the chance plateau on some seeds and not others.
SPLITS = {"train": 720, "dev": 60, "test": 100}


def write_interaction_corpus(csv_dir: Path, images_dir: Path, seed: int = 0) -> list[DemoPost]:
    """Write train/dev/test CSVs (MGID layout) and one JPEG per post; labels balanced per split."""
    rng = np.random.default_rng([seed, 11])
    posts: list[DemoPost] = []
    for split, size in SPLITS.items():
        # Every (caption mood, picture mood) pair equally often, in random order.
        pairs = [(t, i) for t in range(2) for i in range(2)] * (size // 4)
        for index in rng.permutation(len(pairs)):
            text_mood, image_mood = pairs[index]
            posts.append(_post(rng, split, len(posts), MOODS[text_mood], MOODS[image_mood]))
    write_csvs(csv_dir, posts)
    images_dir.mkdir(parents=True, exist_ok=True)
    for post in posts:
        rng_image = np.random.default_rng([seed, 12, int(post.asset_id)])
        picture = draw_picture(post.image_class, rng_image)
        (images_dir / f"{post.asset_id}.jpg").write_bytes(encode_jpeg(picture))
    return posts


def _post(
    rng: np.random.Generator, split: str, n: int, text_mood: str, image_mood: str
) -> DemoPost:
    depressed = text_mood != image_mood
    asset_id = str(300_000_000 + n)
    return DemoPost(
        split=split,
        depression=depressed,
        emotion="depressed" if depressed else "neutral",
        title=f"Synthetic interaction post {n} - stock photo",
        text=_caption(rng, text_mood),
        url=f"https://media.gettyimages.com/photos/synthetic-interaction-picture-id{asset_id}",
        asset_id=asset_id,
        image_class=image_mood,
    )
