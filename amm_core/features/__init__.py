"""Frozen pre-trained encoders and feature extraction (text, image, video, OpenFace, HSV colour)
behind a content-hash cache. Submodules import torch / transformers / timm; this one does not."""

from __future__ import annotations

from typing import Any

# Public names -> the submodule that defines them; imported on first use so that
# `import amm_core.features` stays cheap for code that needs only one extractor.
_EXPORTS = {
    "FeatureCache": "cache",
    "CacheStats": "cache",
    "cache_key": "cache",
    "content_digest": "cache",
    "hsv_histogram": "colour",
    "mean_hsv_histogram": "colour",
    "choose_device": "device",
    "TextFeaturizer": "extract",
    "ImageFeaturizer": "extract",
    "VideoFeaturizer": "extract",
    "VisualFeatures": "extract",
    "check_image_header": "image",
    "read_image": "image",
    "read_image_file": "image",
    "resize_rgb": "image",
    "zone_features": "image",
    "zone_tensor": "image",
    "ClipSequence": "openface",
    "clip_means": "openface",
    "utterance_clips": "openface",
    "TextEncoder": "text",
    "TextFeatures": "text",
    "encode_texts": "text",
    "load_text_encoder": "text",
    "read_clip_frames": "video",
    "clip_features": "video",
    "VisionEncoder": "vision",
    "load_vision_encoder": "vision",
    "build_efficientnet_lite0": "vision",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'amm_core.features' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"amm_core.features.{_EXPORTS[name]}"), name)
