"""Tiny model configs and random batches for the model tests (small dims: fast on 2 CPU cores)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace

import pytest
import torch

from amm_core.config import ModelConfig
from amm_core.model import AMMBatch

TEXT_DIM, VISUAL_DIM, COLOUR_DIM = 8, 6, 4
N_EMOTIONS = 6

TINY = ModelConfig(
    text_dim=TEXT_DIM,
    visual_dim=VISUAL_DIM,
    colour_dim=COLOUR_DIM,
    gru_hidden=8,
    d_model=16,
    n_heads=8,
    lstm_hidden=12,
    dropout=0.0,
    n_emotion_classes=N_EMOTIONS,
    task="depression",
)


def tiny_config(**changes: object) -> ModelConfig:
    return replace(TINY, **changes)


def random_batch(
    text_lengths: list[int],
    visual_lengths: list[int],
    has_visual: list[bool],
    *,
    max_text: int | None = None,
    max_visual: int | None = None,
    seed: int = 0,
    labels: bool = True,
) -> AMMBatch:
    """Random features; row i has text_lengths[i] real tokens and visual_lengths[i] steps."""
    gen = torch.Generator().manual_seed(seed)
    b = len(text_lengths)
    t = max(text_lengths) if max_text is None else max_text
    v = max(visual_lengths) if max_visual is None else max_visual
    text_mask = torch.arange(t)[None, :] < torch.tensor(text_lengths)[:, None]
    visual_mask = torch.arange(v)[None, :] < torch.tensor(visual_lengths)[:, None]
    label_dict = None
    if labels:
        label_dict = {
            "depression": torch.randint(0, 2, (b,), generator=gen),
            "emotion": torch.randint(0, N_EMOTIONS, (b,), generator=gen),
        }
    return AMMBatch(
        text=torch.randn(b, t, TEXT_DIM, generator=gen),
        text_mask=text_mask,
        gender=torch.randn(b, TEXT_DIM, generator=gen),
        visual=torch.randn(b, v, VISUAL_DIM, generator=gen),
        visual_mask=visual_mask,
        colour=torch.rand(b, COLOUR_DIM, generator=gen),
        has_visual=torch.tensor(has_visual),
        labels=label_dict,
    )


@pytest.fixture(autouse=True)
def single_thread() -> Iterator[None]:
    """Tiny models gain nothing from threads, and on a busy 2-core machine intra-op threads
    spinning against other processes made a training step ~20x slower (measured)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def mixed_batch() -> AMMBatch:
    """Four rows: full, short, empty text without visual, one token with no visual steps."""
    return random_batch([5, 2, 0, 1], [3, 1, 2, 0], [True, True, False, True])


@pytest.fixture
def make_batch() -> Callable[..., AMMBatch]:
    return random_batch
