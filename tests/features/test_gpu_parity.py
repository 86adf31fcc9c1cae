"""The same features from a GPU as from the CPU (run where CUDA is present, skipped elsewhere),
and the process-wide cuDNN switches that make it so (checked everywhere).

Features are cached by content and extractor, not by device, and pixel explanations recompute
them, so a GPU must give the CPU's numbers. PyTorch lets cuDNN convolutions use TF32 by default
(zone features then moved by up to ~1% on an H100); the vision network turns it off
(`amm_core.features.vision.ExactFloat32`), the traced fast network included.
"""

from __future__ import annotations

import threading
from pathlib import Path

import matplotlib.cbook
import numpy as np
import pytest
import torch

from amm_core.features.device import cudnn_flags
from amm_core.features.image import read_image_file, zone_features
from amm_core.features.text import TextEncoder, load_text_encoder
from amm_core.features.vision import VisionEncoder, load_vision_encoder

needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


@needs_cuda
@pytest.mark.parametrize("mode", ["rows", "crops"])
def test_zone_features_from_the_gpu_are_the_cpus(vision_encoder: VisionEncoder,
                                                  mode: str) -> None:
    photo = Path(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))
    rgb = np.asarray(read_image_file(photo).resize((480, 360), 3))[None]  # (1, 360, 480, 3)
    cpu = zone_features(vision_encoder, rgb, 4, mode)
    gpu = zone_features(load_vision_encoder("cuda"), rgb, 4, mode)
    assert gpu.shape == cpu.shape == (1, 4, 1280)
    assert torch.allclose(gpu, cpu, rtol=1e-4, atol=1e-4)


@needs_cuda
def test_imagenet_logits_from_the_gpu_are_the_cpus(vision_encoder: VisionEncoder) -> None:
    rgb = np.random.default_rng(0).integers(0, 256, (2, 224, 224, 3), dtype=np.uint8)
    cpu = vision_encoder.logits(rgb)
    gpu = load_vision_encoder("cuda").logits(rgb).cpu()
    assert torch.allclose(gpu, cpu, rtol=1e-4, atol=1e-4)


@needs_cuda
def test_token_features_from_the_gpu_are_the_cpus(text_encoder: TextEncoder) -> None:
    texts = ["feeling low again today", "a sunny walk with the dog", ""]
    on_gpu = load_text_encoder(device="cuda").encode(texts)
    for cpu, gpu in zip(text_encoder.encode(texts), on_gpu, strict=True):
        assert gpu.tokens == cpu.tokens
        assert torch.allclose(gpu.token_features.cpu(), cpu.token_features, atol=1e-4)


def _switches() -> tuple[bool, ...]:
    cudnn = torch.backends.cudnn
    return cudnn.enabled, cudnn.benchmark, cudnn.deterministic, cudnn.allow_tf32


def test_cudnn_flags_changes_only_the_switch_named_and_restores_it() -> None:
    before = _switches()
    with cudnn_flags(allow_tf32=False):
        assert _switches() == (*before[:3], False)  # cuDNN itself stays on
    assert _switches() == before


def test_two_threads_cannot_interleave_their_cudnn_switches() -> None:
    """An explanation (cuDNN off) and a feature extraction (TF32 off) at once in the dashboard:
    the second waits, sees cuDNN on, and both leave the switches as they found them."""
    before, seen = _switches(), {}
    inside, release = threading.Event(), threading.Event()

    def explain() -> None:
        with cudnn_flags(enabled=False):
            inside.set()
            release.wait(10)

    def extract() -> None:
        with cudnn_flags(allow_tf32=False):
            seen["switches"] = _switches()

    explaining, extracting = threading.Thread(target=explain), threading.Thread(target=extract)
    explaining.start()
    assert inside.wait(10)
    extracting.start()
    extracting.join(0.3)
    assert extracting.is_alive() and not seen  # waiting for the explanation to finish
    release.set()
    explaining.join(10)
    extracting.join(10)
    assert seen["switches"] == (*before[:3], False)
    assert _switches() == before
