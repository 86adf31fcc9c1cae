"""Batch featurizers through the cache: hits never reach a model, any change is a miss."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

import amm_core.features.extract as extract
from amm_core.config import FeatureConfig
from amm_core.features.cache import FeatureCache
from amm_core.features.extract import (
    ImageFeaturizer,
    TextFeaturizer,
    VideoFeaturizer,
    VisualFeatures,
)
from amm_core.features.text import TextEncoder
from amm_core.features.vision import VisionEncoder
from tests.features.media_fixtures import gradient, grey_video, image_bytes
from tests.text_models import tiny_bert

SMALL = FeatureConfig(image_width=160, image_height=120)  # 1/9 of the pixels: faster tests


def _no_model_load(*args: Any, **kwargs: Any) -> None:
    raise AssertionError("a model was loaded although everything was cached")


@pytest.fixture
def text_calls(text_encoder: TextEncoder, monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Every batch of texts that reaches the real encoder."""
    calls: list[list[str]] = []
    real = text_encoder.encode

    def spy(texts: list[str], batch_size: int = 64) -> Any:
        calls.append(list(texts))
        return real(texts, batch_size)

    monkeypatch.setattr(text_encoder, "encode", spy)
    monkeypatch.setattr(extract, "load_text_encoder", lambda *a, **k: text_encoder)
    return calls


def test_text_same_content_and_config_is_a_hit(tmp_path: Path, text_calls: list) -> None:
    cache = FeatureCache(tmp_path)
    first = TextFeaturizer(FeatureConfig(), cache)(["a sad dog", "hello", "a sad dog"])
    assert text_calls == [["a sad dog", "hello"]]  # the repeat is encoded once
    assert cache.stats.as_dict() == {"hits": 0, "misses": 2, "corrupt": 0, "write_errors": 0}
    assert first[0].tokens == first[2].tokens == ["[CLS]", "a", "sad", "dog", "[SEP]"]

    again = TextFeaturizer(FeatureConfig(), cache)(["hello", "a sad dog"])
    assert len(text_calls) == 1 and cache.stats.hits == 2
    assert torch.equal(again[1].token_features, first[0].token_features)
    assert again[0].tokens == ["[CLS]", "hello", "[SEP]"]


def test_text_hits_never_load_the_model(
    tmp_path: Path, text_calls: list, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = FeatureCache(tmp_path)
    TextFeaturizer(FeatureConfig(), cache)(["hello"])
    monkeypatch.setattr(extract, "load_text_encoder", _no_model_load)
    [features] = TextFeaturizer(FeatureConfig(), FeatureCache(tmp_path))(["hello"])
    assert features.tokens == ["[CLS]", "hello", "[SEP]"]


def test_text_any_change_is_a_miss(tmp_path: Path, text_calls: list) -> None:
    cache = FeatureCache(tmp_path)
    TextFeaturizer(FeatureConfig(), cache)(["hello"])
    TextFeaturizer(FeatureConfig(), cache)(["hello!"])  # other content
    TextFeaturizer(FeatureConfig(max_tokens=64), cache)(["hello"])  # other config
    TextFeaturizer(FeatureConfig(n_zones=7), cache)(["hello"])  # irrelevant field: still a hit
    assert text_calls == [["hello"], ["hello!"], ["hello"]]
    assert cache.stats.as_dict() == {"hits": 1, "misses": 3, "corrupt": 0, "write_errors": 0}


def test_a_text_model_folder_is_keyed_by_its_files(tmp_path: Path, monkeypatch) -> None:
    """The same relative path from two folders names two models; an absolute path to the same
    files is the same model (a hit); the folder's weights replaced make it another (a miss)."""
    folder_a = tiny_bert(tmp_path / "A" / "tm", seed=1)
    tiny_bert(tmp_path / "B" / "tm", seed=2)
    cache = FeatureCache(tmp_path / "cache")

    def features(model: str) -> torch.Tensor:
        return TextFeaturizer(FeatureConfig(text_model=model), cache)(["hello"])[0].pooled

    monkeypatch.chdir(tmp_path / "A")
    from_a = features("tm")
    monkeypatch.chdir(tmp_path / "B")
    from_b = features("tm")
    assert not torch.allclose(from_a, from_b)
    assert torch.equal(features(str(folder_a)), from_a)
    assert cache.stats.hits == 1 and cache.stats.misses == 2
    tiny_bert(folder_a, seed=3)
    changed = features(str(folder_a))
    assert not torch.allclose(changed, from_a) and cache.stats.misses == 3


def test_text_progress_and_gender(tmp_path: Path, text_calls: list) -> None:
    seen: list[tuple[int, int]] = []
    featurizer = TextFeaturizer(
        FeatureConfig(), FeatureCache(tmp_path), progress=lambda d, t: seen.append((d, t)),
        batch_size=2,
    )  # fmt: skip
    featurizer(["one", "two", "three", "four", "five"])
    assert seen == [(0, 5), (2, 5), (4, 5), (5, 5)]
    genders = featurizer.gender_embeddings()
    assert list(genders) == ["female", "male", "unknown"]
    assert all(vector.shape == (384,) for vector in genders.values())


@pytest.fixture
def zone_calls(vision_encoder: VisionEncoder, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of images in every zone_features call (the only EfficientNet use)."""
    calls: list[int] = []
    real = extract.zone_features

    def spy(encoder: VisionEncoder, images: np.ndarray, *args: Any) -> torch.Tensor:
        calls.append(len(images))
        return real(encoder, images, *args)

    monkeypatch.setattr(extract, "zone_features", spy)
    monkeypatch.setattr(extract, "load_vision_encoder", lambda *a, **k: vision_encoder)
    return calls


def test_image_hit_miss_and_dedup(tmp_path: Path, zone_calls: list[int]) -> None:
    photo = tmp_path / "photo.png"
    photo.write_bytes(image_bytes(gradient(), "PNG"))
    other = ("other.jpg", image_bytes(gradient(50, 80), "JPEG"))
    cache = FeatureCache(tmp_path / "cache")
    copy = ("copy.png", photo.read_bytes())
    first = ImageFeaturizer(SMALL, cache, batch_size=8)([photo, copy, other])
    assert zone_calls == [2]  # one batch; the copy has the same content: computed once
    assert all(isinstance(f, VisualFeatures) for f in first)
    assert first[0].steps.shape == (4, 1280) and first[0].colour.shape == (48,)
    assert torch.allclose(first[0].colour.view(3, 16).sum(dim=1), torch.ones(3))

    again = ImageFeaturizer(SMALL, cache)([other, photo])
    assert zone_calls == [2] and cache.stats.hits == 2
    assert torch.equal(again[1].steps, first[0].steps)

    ImageFeaturizer(replace(SMALL, zone_mode="crops"), cache)([photo])
    halves = ImageFeaturizer(replace(SMALL, n_zones=2), cache)([photo])
    assert zone_calls == [2, 1, 1] and halves[0].steps.shape == (2, 1280)


@pytest.mark.parametrize("change", [
    {"image_width": 192}, {"image_height": 96}, {"rows_width": 192}, {"rows_height": 144},
    {"hsv_bins": 8}, {"n_zones": 3}, {"zone_mode": "crops"},
])
def test_image_any_relevant_change_is_a_miss(tmp_path: Path, zone_calls: list[int],
                                             change: dict) -> None:
    photo = ("photo.png", image_bytes(gradient(), "PNG"))
    cache = FeatureCache(tmp_path / "cache")
    ImageFeaturizer(SMALL, cache)([photo])
    ImageFeaturizer(replace(SMALL, **change), cache)([photo])
    ImageFeaturizer(replace(SMALL, max_tokens=64), cache)([photo])  # a text setting: a hit
    assert (cache.stats.misses, cache.stats.hits) == (2, 1)


def test_image_bad_inputs_raise_or_are_skipped(tmp_path: Path, zone_calls: list[int]) -> None:
    good = ("good.png", image_bytes(gradient(), "PNG"))
    empty = ("empty.jpg", b"")
    wrong = ("wrong.gif", image_bytes(gradient(), "PNG"))
    featurizer = ImageFeaturizer(SMALL, FeatureCache(None))
    results = featurizer([good, empty, wrong, tmp_path / "missing.png"], skip_errors=True)
    assert [r is None for r in results] == [False, True, True, True]
    assert featurizer.errors == [
        "empty.jpg: empty file (0 bytes)",
        "wrong.gif: content is PNG but the extension '.gif' says GIF",
        "missing.png: cannot read file (No such file or directory)",
    ]
    with pytest.raises(ValueError, match=r"^empty\.jpg: empty file"):
        featurizer([good, empty])


def test_image_progress_and_cpu_batch(tmp_path: Path, zone_calls: list[int]) -> None:
    seen: list[tuple[int, int]] = []
    items = [(f"{i}.png", image_bytes(gradient(40 + i, 30), "PNG")) for i in range(10)]
    featurizer = ImageFeaturizer(
        SMALL, FeatureCache(None), device="cpu", progress=lambda d, t: seen.append((d, t))
    )
    assert featurizer.batch_size == extract.CPU_VISION_BATCH == 8
    featurizer(items)
    assert seen == [(8, 10), (10, 10)] and zone_calls == [8, 2]


def test_video_features_and_cache(
    tmp_path: Path, vision_encoder: VisionEncoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(extract, "load_vision_encoder", lambda *a, **k: vision_encoder)
    video = grey_video(tmp_path / "clip.avi", [20 * i for i in range(12)])
    config = FeatureConfig(n_clips=3, frames_per_clip=1, image_width=64, image_height=48)
    cache = FeatureCache(tmp_path / "cache")
    [features] = VideoFeaturizer(config, cache)([video])
    assert features is not None and features.steps.shape == (3, 1280)
    assert torch.allclose(features.colour.view(3, 16).sum(dim=1), torch.ones(3))
    monkeypatch.setattr(extract, "read_clip_frames", _no_model_load)
    [cached] = VideoFeaturizer(config, cache)([video])
    assert cached is not None and torch.equal(cached.steps, features.steps)

    for change in ({"n_clips": 2}, {"frames_per_clip": 2}, {"hsv_bins": 8},
                   {"image_width": 96}):
        changed = VideoFeaturizer(replace(config, **change), FeatureCache(tmp_path / "cache"))
        with pytest.raises(AssertionError, match="a model was loaded"):  # a miss: it decodes
            changed([video])

    empty = grey_video(tmp_path / "empty.avi", [])
    monkeypatch.undo()
    monkeypatch.setattr(extract, "load_vision_encoder", lambda *a, **k: vision_encoder)
    featurizer = VideoFeaturizer(config, cache)
    assert featurizer([empty], skip_errors=True) == [None]
    assert featurizer.errors == ["empty.avi: video has no decodable frames"]
