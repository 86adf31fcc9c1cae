"""Samples -> cached feature items -> padded `AMMBatch`es.

`featurize_samples` turns `Sample` records into `FeatureItem`s through the content-hash cache
(text tokens, image zones, video clips, DAIC OpenFace clips); `collate` pads a list of items into
one batch, each batch padded only to its own longest text (captions are short, so this is what
keeps CPU training fast). Training collates each split once instead (amm_core/batches.py), giving
the same batches by indexing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import Tensor

from amm_core.config import GENDER_WORDS, FeatureConfig, ModelConfig
from amm_core.data.records import Sample
from amm_core.model.amm import AMMBatch
from amm_core.model.loss import IGNORE_INDEX

Progress = Callable[[str, int, int], None]  # (stage, done, total)
OPENFACE_DIM = 38


@dataclass
class FeatureItem:
    """One sample's model inputs. `visual` is None when the sample has no usable visual part."""

    text: Tensor  # (T, text_dim)
    tokens: list[str]
    gender: str  # one of GENDER_WORDS
    visual: Tensor | None = None  # (V, visual_dim)
    visual_mask: Tensor | None = None  # (V,) bool
    colour: Tensor | None = None  # (colour_dim,)
    labels: dict[str, int] = field(default_factory=dict)  # task -> class index or IGNORE_INDEX
    group: str | None = None  # DAIC session id, for per-session scores
    visual_error: str | None = None


def label_indices(sample: Sample, label_sets: dict[str, list[str]]) -> dict[str, int]:
    """Depression 0/1 and the emotion's index in the dataset's label set; missing -> -100."""
    depression = IGNORE_INDEX if sample.depression_label is None else int(sample.depression_label)
    emotions = label_sets.get("emotion", [])
    emotion = sample.emotion_label
    return {
        "depression": depression,
        "emotion": emotions.index(emotion) if emotion in emotions else IGNORE_INDEX,
    }


def _gender(value: str | None) -> str:
    return value if value in GENDER_WORDS else "unknown"


def featurize_samples(
    samples: Sequence[Sample],
    config: FeatureConfig,
    cache_dir: Path | None,
    label_sets: dict[str, list[str]],
    *,
    device: str | None = None,
    progress: Progress | None = None,
) -> list[FeatureItem]:
    """Feature items for `samples`, in order; bad media make a text-only item (visual_error set)."""
    from amm_core.features.cache import FeatureCache
    from amm_core.features.extract import ImageFeaturizer, TextFeaturizer, VideoFeaturizer

    cache = FeatureCache(cache_dir)
    report = progress or (lambda stage, done, total: None)
    texts = TextFeaturizer(config, cache, device, lambda d, t: report("text", d, t))(
        [s.text or "" for s in samples]
    )
    items = [
        FeatureItem(text=t.token_features, tokens=list(t.tokens), gender=_gender(s.gender),
                    labels=label_indices(s, label_sets), group=s.session_id)
        for s, t in zip(samples, texts, strict=True)
    ]
    images = [i for i, s in enumerate(samples) if s.media_kind == "image" and s.media_path]
    if images:
        featurizer = ImageFeaturizer(config, cache, device, lambda d, t: report("image", d, t))
        found = featurizer([samples[i].media_path for i in images], skip_errors=True)
        _attach(items, images, found, featurizer.errors)
    videos = [i for i, s in enumerate(samples) if s.media_kind == "video" and s.media_path]
    if videos:
        featurizer = VideoFeaturizer(config, cache, device, lambda d, t: report("video", d, t))
        found = featurizer([samples[i].media_path for i in videos], skip_errors=True)
        _attach(items, videos, found, featurizer.errors)
    _attach_openface(items, samples, config, report)
    return items


def _attach(items: list[FeatureItem], indices: list[int], visuals: list, errors: list[str]) -> None:
    """Visual features onto their items; a failed file keeps its one-line reason, in order."""
    reasons = iter(errors)
    for index, visual in zip(indices, visuals, strict=True):
        if visual is None:
            items[index].visual_error = next(reasons, "media could not be decoded")
            continue
        items[index].visual = visual.steps
        items[index].visual_mask = torch.ones(visual.steps.shape[0], dtype=torch.bool)
        items[index].colour = visual.colour


def _attach_openface(
    items: list[FeatureItem], samples: Sequence[Sample], config: FeatureConfig, report: Progress
) -> None:
    indices = [i for i, s in enumerate(samples) if s.media_kind == "openface" and s.media_path]
    if not indices:
        return  # (and pandas, which the OpenFace reader needs, is not imported: ~0.7 s)
    from amm_core.features.openface import utterance_clips

    for done, index in enumerate(indices, start=1):
        sample = samples[index]
        clips = utterance_clips(sample.media_path, sample.session_id or "",
                                sample.start_time or 0.0, sample.stop_time or 0.0, config.n_clips)
        if clips.n_valid:
            items[index].visual = clips.features
            items[index].visual_mask = clips.mask
        report("openface", done, len(indices))


@dataclass
class VisualNormaliser:
    """Per-feature standardisation fitted on the training items (DAIC OpenFace features mix AU
    intensities 0-5 with head positions in millimetres). Identity for EfficientNet features."""

    mean: Tensor
    std: Tensor

    @classmethod
    def fit(cls, items: Sequence[FeatureItem], dim: int) -> VisualNormaliser:
        steps = [it.visual[it.visual_mask] for it in items if it.visual is not None]
        if dim != OPENFACE_DIM or not steps:
            return cls(torch.zeros(dim), torch.ones(dim))
        stacked = torch.cat(steps).float()
        return cls(stacked.mean(0), stacked.std(0).clamp_min(1e-3))

    def apply(self, visual: Tensor) -> Tensor:
        return (visual - self.mean) / self.std

    def state(self) -> dict[str, list[float]]:
        return {"mean": self.mean.tolist(), "std": self.std.tolist()}

    @classmethod
    def from_state(cls, state: dict[str, list[float]]) -> VisualNormaliser:
        return cls(torch.tensor(state["mean"]), torch.tensor(state["std"]))


def collate(
    items: Sequence[FeatureItem],
    genders: dict[str, Tensor],
    model: ModelConfig,
    normaliser: VisualNormaliser | None = None,
    tasks: Sequence[str] = ("depression", "emotion"),
) -> AMMBatch:
    """Pad items into one batch: text to the batch's longest text, visual to its longest."""

    size = len(items)
    longest = max([it.text.shape[0] for it in items] + [1])
    text = torch.zeros(size, longest, model.text_dim)
    text_mask = torch.zeros(size, longest, dtype=torch.bool)
    for row, item in enumerate(items):
        length = item.text.shape[0]
        text[row, :length] = item.text
        text_mask[row, :length] = True
    visual, visual_mask, colour, has_visual = pad_visual(items, model, normaliser)
    gender = torch.stack([genders[it.gender] for it in items])
    labels = {task: torch.tensor([it.labels.get(task, IGNORE_INDEX) for it in items])
              for task in tasks}
    return AMMBatch(text, text_mask, gender, visual, visual_mask, colour, has_visual, labels)


def gender_table(
    config: FeatureConfig, cache_dir: Path | None, device: str | None = None
) -> dict[str, Tensor]:
    """`h^gen`: the frozen text encoder's pooled embedding of female / male / unknown."""
    from amm_core.features.cache import FeatureCache
    from amm_core.features.extract import TextFeaturizer

    return TextFeaturizer(config, FeatureCache(cache_dir), device).gender_embeddings()


def pad_visual(
    items: Sequence[FeatureItem], model: ModelConfig, normaliser: VisualNormaliser | None
) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """Visual steps (normalised) padded to the longest, their mask, colour and has_visual."""
    size = len(items)
    steps = max([it.visual.shape[0] for it in items if it.visual is not None] + [1])
    visual = torch.zeros(size, steps, model.visual_dim)  # (N, V, visual_dim)
    visual_mask = torch.zeros(size, steps, dtype=torch.bool)
    colour = torch.zeros(size, model.colour_dim)
    has_visual = torch.zeros(size, dtype=torch.bool)
    for row, item in enumerate(items):
        if item.visual is not None:
            values = normaliser.apply(item.visual) if normaliser else item.visual
            visual[row, : values.shape[0]] = values
            visual_mask[row, : values.shape[0]] = item.visual_mask
            has_visual[row] = bool(item.visual_mask.any())
        if item.colour is not None:
            colour[row] = item.colour
    return visual, visual_mask, colour, has_visual
