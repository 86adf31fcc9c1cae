"""Frozen encoders loaded once for the whole features test folder (they are read-only)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch

from amm_core.features.text import TextEncoder, load_text_encoder
from amm_core.features.vision import VisionEncoder, load_vision_encoder


@pytest.fixture(scope="package", autouse=True)
def one_torch_thread() -> Iterator[None]:
    """These tests run many tiny forwards: on a busy 2-core machine two OpenMP threads wait on
    each other (measured 60 s vs 13 s for this folder), so use one here and restore afterwards."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def text_encoder() -> TextEncoder:
    return load_text_encoder(device="cpu")


@pytest.fixture(scope="session")
def vision_encoder() -> VisionEncoder:
    return load_vision_encoder("cpu")
