"""pixel_attribution: EfficientNet inside the attributed graph, at the image's own size, with
progress; pixels that already equal the grey baseline get no occlusion attribution."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from amm_core.config import GENDER_WORDS, FeatureConfig, ModelConfig, RunConfig
from amm_core.dataset import FeatureItem, VisualNormaliser
from amm_core.explain_pixels import occlusion_window, pixel_attribution
from amm_core.model import build_model
from amm_core.predict import Predictor

TEXT_DIM = 8
MODEL = ModelConfig(text_dim=TEXT_DIM, visual_dim=1280, colour_dim=48, gru_hidden=8, d_model=16,
                    n_heads=8, lstm_hidden=12, dropout=0.0)
FEATURES = FeatureConfig(rows_width=64, rows_height=48)  # a small fast-path input


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def predictor(**model_changes: object) -> Predictor:
    torch.manual_seed(0)
    config = RunConfig(features=FEATURES, model=replace(MODEL, **model_changes))
    gen = torch.Generator().manual_seed(1)
    return Predictor(model=build_model(config.model).eval(), config=config,
                     label_sets={"emotion": ["depressed", "neutral", "happiness", "fear",
                                             "surprise", "anger"]},
                     normaliser=VisualNormaliser.fit([], 1280),
                     genders={w: torch.randn(TEXT_DIM, generator=gen) for w in GENDER_WORDS},
                     device=torch.device("cpu"), cache_dir=None)


def half_grey_image() -> np.ndarray:
    """Top half random colours, bottom half the grey that the baseline stands for."""
    rng = np.random.default_rng(0)
    image = np.full((48, 64, 3), 127, np.uint8)
    image[:20] = rng.integers(0, 256, (20, 64, 3))
    return image


@pytest.mark.parametrize("size,positions", [(168, 11), (224, 13), (360, 8), (480, 9), (50, 7)])
def test_occlusion_windows_tile_the_input_exactly(size: int, positions: int) -> None:
    window, stride = occlusion_window(size, positions)
    assert (positions - 1) * stride + window == size  # first at 0, last ends at the edge
    assert stride <= window <= 3 * stride  # neighbours overlap, no pixel is skipped


def test_occlusion_map_has_the_image_size_and_ignores_baseline_grey() -> None:
    item = FeatureItem(text=torch.randn(4, TEXT_DIM), tokens=["a", "b", "c", "d"], gender="male")
    reported: list[float] = []
    pixels = pixel_attribution(predictor(), half_grey_image(), "depression", None,
                               progress=reported.append, item=item)
    assert pixels.shape == (48, 64) and np.isfinite(pixels).all()
    top = np.abs(pixels[:16]).max()
    assert top > 0
    assert np.abs(pixels[36:]).max() < 1e-2 * top  # windows wholly inside the grey part
    assert reported == sorted(reported) and reported[-1] == pytest.approx(1.0)


def test_integrated_gradients_method_and_a_named_target() -> None:
    pixels = pixel_attribution(predictor(), half_grey_image(), "emotion", "fear", method="ig")
    assert pixels.shape == (48, 64) and np.isfinite(pixels).all() and np.abs(pixels).max() > 0


def test_runs_without_pixels_are_refused() -> None:
    with pytest.raises(ValueError, match="OpenFace"):
        pixel_attribution(predictor(visual_dim=38), half_grey_image(), "depression")
    with pytest.raises(ValueError, match="text only"):
        pixel_attribution(predictor(modalities="text"), half_grey_image(), "depression")
    with pytest.raises(ValueError, match="method must be one of"):
        pixel_attribution(predictor(), half_grey_image(), "depression", method="lime")
    with pytest.raises(ValueError, match="unknown class"):
        pixel_attribution(predictor(), half_grey_image(), "depression", "sad")


def test_paper_zones_recompute_only_the_touched_strips_and_match_the_full_pass() -> None:
    from amm_core.explain_pixels import _strip_cached
    from amm_core.features.image import zone_tensor
    from amm_core.features.vision import load_vision_encoder

    model = load_vision_encoder("cpu").model
    x0 = torch.randn(1, 3, 48, 64, generator=torch.Generator().manual_seed(5))
    x = x0.repeat(3, 1, 1, 1)
    x[1, :, 2:8, 10:30] = 0.0  # inside the first strip only
    x[2, :, 20:40, :] = 0.0  # across strips 2 to 4
    with torch.no_grad():
        cached = _strip_cached(model, x0, 4)(x)
        full = zone_tensor(model, x, 4, "crops")
    assert torch.allclose(cached, full, atol=1e-4)
    assert torch.equal(cached[1, 1:], cached[0, 1:]) and not torch.equal(cached[1, 0], cached[0, 0])


def test_the_explained_pixels_are_the_pixels_the_features_were_computed_from(tmp_path) -> None:
    """A large JPEG is decoded for the features with libjpeg's DCT downscaling; the pixel map
    must explain that same input, not a full-size decode resized (slightly different pixels)."""
    import cv2

    from amm_core.explain_pixels import as_rgb, network_input
    from amm_core.features.cache import FeatureCache
    from amm_core.features.extract import ImageFeaturizer
    from amm_core.features.image import resize_rgb, zone_features
    from amm_core.features.vision import load_vision_encoder

    rng = np.random.default_rng(3)
    big = cv2.GaussianBlur(rng.integers(0, 256, (960, 1280, 3), dtype=np.uint8), (0, 0), 3)
    data = cv2.imencode(".jpg", big)[1].tobytes()
    (tmp_path / "big.jpg").write_bytes(data)
    size = FEATURES.image_input_size()
    full_decode = resize_rgb(as_rgb(data), *size)
    for source, as_featurized in ((data, ("big.jpg", data)), (tmp_path / "big.jpg",) * 2):
        explained = network_input(source, as_rgb(data), size)
        assert explained.shape == (size[1], size[0], 3)
        assert not np.array_equal(explained, full_decode)  # the shortcut changes pixels ...
        # ... and the featurizer saw exactly the explained pixels: same zone features
        encoder = load_vision_encoder(torch.device("cpu"))
        cached = ImageFeaturizer(FEATURES, FeatureCache(None))([as_featurized])[0].steps
        ours = zone_features(encoder, explained[None], FEATURES.n_zones, FEATURES.zone_mode)[0]
        assert torch.allclose(ours, cached, atol=1e-4)
