"""A whole split collated once into tensors; training / evaluation batches taken by indexing.

`collate` (amm_core/dataset.py) pads a list of `FeatureItem`s in Python on every step. For
training over many epochs `SplitTensors.build` does that work once per split (visual
normalisation included) and `SplitTensors.batch(indices)` returns exactly the `AMMBatch` that
`collate([items[i] for i in indices], ...)` would: text padded to the batch's longest text,
visual to its longest visual part, same values, masks, dtypes and labels.

Text is stored flat (all tokens of the split one after another, plus offsets), so one long
outlier caption does not pad the whole split; visual parts are few and short (zones / clips), so
they are stored padded to the split's own longest one.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from amm_core.config import GENDER_WORDS, ModelConfig
from amm_core.dataset import FeatureItem, VisualNormaliser, pad_visual
from amm_core.model.amm import AMMBatch
from amm_core.model.loss import IGNORE_INDEX

TASK_NAMES = ("depression", "emotion")


@dataclass
class SplitTensors:
    """Every input of a split as tensors on one device (N = number of items)."""

    tokens: Tensor  # (total tokens, text_dim) all texts, concatenated
    text_start: Tensor  # (N,) long, offset of each text in `tokens`
    text_length: Tensor  # (N,) long
    gender_table: Tensor  # (len(GENDER_WORDS), text_dim)
    gender_index: Tensor  # (N,) long
    visual: Tensor  # (N, V, visual_dim), normalised, zero padding
    visual_mask: Tensor  # (N, V) bool
    visual_steps: Tensor  # (N,) long, visual.shape[0] of the item (0 without visual part)
    colour: Tensor  # (N, colour_dim)
    has_visual: Tensor  # (N,) bool
    labels: dict[str, Tensor]  # task -> (N,) long, IGNORE_INDEX = missing

    @classmethod
    def build(
        cls,
        items: Sequence[FeatureItem],
        genders: dict[str, Tensor],
        model: ModelConfig,
        normaliser: VisualNormaliser | None = None,
        tasks: Sequence[str] = TASK_NAMES,
        device: torch.device | str = "cpu",
    ) -> SplitTensors:
        lengths = torch.tensor([it.text.shape[0] for it in items], dtype=torch.long)
        starts = torch.cumsum(lengths, 0) - lengths
        texts = [it.text.reshape(-1, model.text_dim) for it in items]
        tokens = torch.cat(texts).float() if texts else torch.zeros(0, model.text_dim)
        steps = torch.tensor([0 if it.visual is None else it.visual.shape[0] for it in items],
                             dtype=torch.long)
        visual, visual_mask, colour, has_visual = pad_visual(items, model, normaliser)
        names = sorted(set(GENDER_WORDS) | set(genders))
        table = torch.stack([genders.get(g, torch.zeros(model.text_dim)) for g in names])
        gender_index = torch.tensor([names.index(it.gender) for it in items], dtype=torch.long)
        labels = {task: torch.tensor([it.labels.get(task, IGNORE_INDEX) for it in items],
                                     dtype=torch.long) for task in tasks}
        split = cls(tokens, starts, lengths, table.float(), gender_index, visual, visual_mask,
                    steps, colour, has_visual, labels)
        return split.to(device)

    def __len__(self) -> int:
        return int(self.text_length.shape[0])

    def to(self, device: torch.device | str) -> SplitTensors:
        moved = {name: value.to(device) for name, value in vars(self).items()
                 if isinstance(value, Tensor)}
        labels = {task: value.to(device) for task, value in self.labels.items()}
        return SplitTensors(**moved, labels=labels)

    def batch(self, indices: Tensor) -> AMMBatch:
        """The batch of the items at `indices` (1-D long), in that order."""
        indices = indices.to(self.text_length.device)
        lengths = self.text_length[indices]  # (B,)
        longest = max(int(lengths.max()) if len(indices) else 0, 1)
        positions = torch.arange(longest, device=lengths.device)  # (T,)
        text_mask = positions.unsqueeze(0) < lengths.unsqueeze(1)  # (B, T)
        rows = (self.text_start[indices].unsqueeze(1) + positions).masked_fill(~text_mask, 0)
        if self.tokens.shape[0]:
            text = self.tokens[rows].masked_fill(~text_mask.unsqueeze(-1), 0.0)  # (B, T, D)
        else:
            text = self.tokens.new_zeros(len(indices), longest, self.tokens.shape[1])
        steps = max(int(self.visual_steps[indices].max()) if len(indices) else 0, 1)
        return AMMBatch(
            text=text,
            text_mask=text_mask,
            gender=self.gender_table[self.gender_index[indices]],
            visual=self.visual[indices, :steps],
            visual_mask=self.visual_mask[indices, :steps],
            colour=self.colour[indices],
            has_visual=self.has_visual[indices],
            labels={task: value[indices] for task, value in self.labels.items()},
        )

    def batches(self, order: Tensor, batch_size: int) -> Iterator[AMMBatch]:
        """Consecutive batches of `batch_size` items taken in `order` (the last may be short)."""
        for start in range(0, len(order), batch_size):
            yield self.batch(order[start : start + batch_size])

    def bucketed_batches(self, generator: torch.Generator, batch_size: int,
                         window: int) -> list[Tensor]:
        """One training epoch's batches (index tensors) of similar text length.

        Shuffle, cut into windows of `window` batches, sort each window by text length (stable,
        so equal lengths stay shuffled), cut it into batches, then shuffle the batch order: each
        batch pads to a length close to its own texts' instead of the longest of a random draw.
        The same scheme as Hugging Face's `group_by_length` sampler; `window=1` is a plain shuffle.
        """
        order = torch.randperm(len(self), generator=generator)
        if window <= 1 or len(order) == 0:
            return list(order.split(batch_size))
        lengths = self.text_length.cpu()
        windows = [piece[torch.argsort(lengths[piece], stable=True)]
                   for piece in order.split(batch_size * window)]
        batches = list(torch.cat(windows).split(batch_size))
        shuffle = torch.randperm(len(batches), generator=generator).tolist()
        return [batches[i] for i in shuffle]

    def length_order(self) -> Tensor:
        """Items by text length (stable): evaluation batches then carry little padding."""
        return torch.argsort(self.text_length.cpu(), stable=True)
