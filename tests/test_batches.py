"""Pre-collated split batches are the batches `collate` builds, and the faster training path
learns what the per-step collate + packed-RNN path learned (same seed -> same history)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from amm_core.batches import SplitTensors
from amm_core.config import resolve_config
from amm_core.dataset import OPENFACE_DIM, FeatureItem, VisualNormaliser, collate
from amm_core.model import encoders, inter_task
from amm_core.model.loss import IGNORE_INDEX, weight_decay_groups
from amm_core.model.sequence import run_masked_rnn, run_masked_rnn_packed
from amm_core.model.variants import build_model
from amm_core.train import micro_f1, predict_items, seed_everything, train_model

TEXT_DIM, COLOUR_DIM = 8, 4
LABELS = {"emotion": list("abcdef")}


@pytest.fixture(autouse=True)
def single_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _items(n: int, visual_dim: int, seed: int = 0) -> list[FeatureItem]:
    """Varied texts (incl. empty), missing / partly masked visual parts, missing labels."""
    gen = torch.Generator().manual_seed(seed)
    items = []
    for i in range(n):
        tokens = int(torch.randint(0 if i % 9 == 0 else 1, 12, (1,), generator=gen))
        item = FeatureItem(text=torch.randn(tokens, TEXT_DIM, generator=gen),
                           tokens=["w"] * tokens, gender=("female", "male", "unknown")[i % 3],
                           labels={"depression": i % 2 if i % 6 else IGNORE_INDEX,
                                   "emotion": i % 6 if i % 4 else IGNORE_INDEX})
        if i % 5:
            steps = 1 + i % 4
            item.visual = 3 * torch.randn(steps, visual_dim, generator=gen) + 2
            item.visual_mask = torch.arange(steps) < max(1, steps - i % 2)
            item.colour = torch.rand(COLOUR_DIM, generator=gen)
        items.append(item)
    return items


def _genders() -> dict[str, torch.Tensor]:
    gen = torch.Generator().manual_seed(7)
    return {g: torch.randn(TEXT_DIM, generator=gen) for g in ("female", "male", "unknown")}


def _config(visual_dim: int = 6, epochs: int = 3):
    model = {"text_dim": TEXT_DIM, "visual_dim": visual_dim, "colour_dim": COLOUR_DIM,
             "gru_hidden": 8, "d_model": 16, "lstm_hidden": 12}
    train = {"epochs": epochs, "batch_size": 8, "patience": 100, "device": "cpu"}
    return resolve_config("mgid", {"model": model, "train": train})


@pytest.mark.parametrize("visual_dim", [6, OPENFACE_DIM])  # 38: the normaliser is not identity
def test_split_batches_equal_per_batch_collate(visual_dim: int) -> None:
    items, config = _items(40, visual_dim), _config(visual_dim).model
    normaliser = VisualNormaliser.fit(items, visual_dim)
    split = SplitTensors.build(items, _genders(), config, normaliser)
    gen = torch.Generator().manual_seed(3)
    for size in (1, 5, 8, 40):
        chosen = torch.randperm(len(items), generator=gen)[:size]
        fast = split.batch(chosen)
        slow = collate([items[i] for i in chosen.tolist()], _genders(), config, normaliser)
        for name in ("text", "text_mask", "gender", "visual", "visual_mask", "colour",
                     "has_visual"):
            a, b = getattr(fast, name), getattr(slow, name)
            assert a.dtype == b.dtype and torch.equal(a, b), (name, size)
        for task in slow.labels:
            assert torch.equal(fast.labels[task], slow.labels[task]), task


@pytest.mark.parametrize("rnn", [nn.GRU(5, 4, batch_first=True, bidirectional=True),
                                 nn.GRU(5, 4, batch_first=True),
                                 nn.LSTM(5, 6, batch_first=True)])
def test_masked_rnn_matches_the_packed_reference(rnn: nn.RNNBase) -> None:
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(6, 7, 5, generator=gen)
    mask = torch.rand(6, 7, generator=gen) < 0.6  # holes anywhere
    mask[0], mask[1] = False, True  # an empty row and a full row
    fast, slow = run_masked_rnn(rnn, x, mask), run_masked_rnn_packed(rnn, x, mask)
    assert torch.allclose(fast, slow, atol=1e-6)
    grads_fast = torch.autograd.grad(fast.square().sum(), list(rnn.parameters()))
    grads_slow = torch.autograd.grad(slow.square().sum(), list(rnn.parameters()))
    for a, b in zip(grads_fast, grads_slow, strict=True):
        assert torch.allclose(a, b, atol=1e-5)


def test_predict_items_keeps_item_order() -> None:
    items, config = _items(30, 6), _config()
    seed_everything(0)
    model = build_model(config.model)
    normaliser = VisualNormaliser.fit(items, 6)
    together = predict_items(model, items, _genders(), config, normaliser, torch.device("cpu"),
                             batch_size=7)
    alone = [predict_items(model, [it], _genders(), config, normaliser, torch.device("cpu"))
             for it in items]
    for task, probs in together.items():
        assert np.allclose(probs, np.concatenate([a[task] for a in alone]), atol=1e-6)


def _reference_history(train, dev, config) -> list[tuple[float, float]]:
    """The training loop before pre-collation: collate per step, packed RNNs, unfused Adam, over
    the same length-bucketed batches. Returns (mean train loss, dev micro-F1) per epoch."""
    seed_everything(config.train.seed)
    model = build_model(config.model)
    optimizer = torch.optim.Adam(weight_decay_groups(model, config.train.weight_decay),
                                 lr=config.train.lr)
    normaliser = VisualNormaliser.fit(train, config.model.visual_dim)
    generator = torch.Generator().manual_seed(config.train.seed)
    lengths = SplitTensors.build(train, _genders(), config.model, normaliser)
    losses = []
    for _ in range(config.train.epochs):
        model.train()
        total = []
        tc = config.train
        for indices in lengths.bucketed_batches(generator, tc.batch_size, tc.length_window):
            chosen = [train[i] for i in indices.tolist()]
            loss = model(collate(chosen, _genders(), config.model, normaliser)).loss
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total.append(float(loss.detach()))
        model.eval()
        with torch.no_grad():
            probs = model(collate(dev, _genders(), config.model, normaliser)).probs["depression"]
        losses.append((sum(total) / len(total), micro_f1(probs.numpy(), dev, "depression")))
    return losses


def test_training_learns_what_the_per_step_collate_path_learned(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    train, dev, config = _items(48, 6, seed=1), _items(16, 6, seed=2), _config(epochs=3)
    runs = [train_model(train, dev, config, LABELS, _genders(), tmp_path / name)
            for name in ("a", "b")]
    assert runs[0].history == runs[1].history  # same seed -> same result
    for module in (encoders, inter_task):
        monkeypatch.setattr(module, "run_masked_rnn", run_masked_rnn_packed)
    reference = _reference_history(train, dev, config)
    fast = [(r["loss"], r["dev_depression_micro_f1"]) for r in runs[0].history]
    assert np.allclose(fast, reference, atol=1e-4), (fast, reference)
    assert runs[0].best_epoch >= 1 and (tmp_path / "a" / "best.pt").exists()


def _padding(split: SplitTensors, batches: list[torch.Tensor]) -> int:
    """Padded text steps the batches carry (each pads to its longest text)."""
    return sum(int(split.text_length[b].max() * len(b) - split.text_length[b].sum())
               for b in batches)


def test_length_bucketed_batches_cover_each_item_once_and_pad_less() -> None:
    items, config = _items(400, 6), _config()
    split = SplitTensors.build(items, _genders(), config.model)
    plain = split.bucketed_batches(torch.Generator().manual_seed(5), 16, window=1)
    bucketed = split.bucketed_batches(torch.Generator().manual_seed(5), 16, window=8)
    for batches in (plain, bucketed):
        assert sorted(torch.cat(batches).tolist()) == list(range(400))
        assert [len(b) for b in batches].count(16) == 25
    assert torch.equal(torch.cat(plain), torch.randperm(400, generator=torch.Generator()
                                                        .manual_seed(5)))  # window 1: a shuffle
    assert _padding(split, bucketed) < _padding(split, plain) / 3
    again = split.bucketed_batches(torch.Generator().manual_seed(6), 16, window=8)
    assert [b.tolist() for b in again] != [b.tolist() for b in bucketed]  # still shuffled
