"""The training loop: Adam, Table II defaults, early stopping on the dev split's main-task
micro-F1, seeded, with resumable checkpoints (`last.pt` every epoch, `best.pt` at each new best).

Read top to bottom: seed -> model -> per epoch (shuffle, batches, step) -> dev score -> keep best.
Each split is collated once into tensors (amm_core/batches.py); a step's batch is taken by
indexing, and is exactly the batch `collate` would build from the same items.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from amm_core.batches import SplitTensors
from amm_core.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from amm_core.config import RunConfig, to_dict
from amm_core.dataset import FeatureItem, VisualNormaliser
from amm_core.distributed import SINGLE, Parallel, average_gradients, broadcast_int, shard
from amm_core.features.text import text_model_identity
from amm_core.model.loss import IGNORE_INDEX, weight_decay_groups
from amm_core.model.variants import build_model

# Dev evaluation batch (no gradients, texts of similar length batched together; measured on 2
# cores: 64 -> 0.57 s, 256 -> 0.62 s, 512 -> 0.78 s for 500 dev items, so larger is no faster).
EVAL_BATCH_SIZE = 256
# (epoch, epochs, record) after each epoch; return False to stop (a cancel button).
EpochCallback = Callable[[int, int, dict[str, Any]], bool | None]


@dataclass
class TrainResult:
    best_epoch: int
    best_score: float
    epochs_run: int
    stopped_early: bool
    cancelled: bool
    seconds: float
    samples_per_second: float
    history: list[dict[str, Any]] = field(default_factory=list)
    best_path: Path | None = None
    best_sha256: str | None = None


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)


def resolve_device(name: str, local_rank: int = 0) -> torch.device:
    """`auto` -> the GPU when there is one, else the CPU. `local_rank` picks the GPU of a
    torchrun process (0 alone)."""
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda was asked for, but no CUDA GPU is available here")
    if name == "cuda" and local_rank:
        return torch.device("cuda", local_rank)
    return torch.device(name)


def make_optimizer(model: nn.Module, lr: float, weight_decay: float) -> torch.optim.Adam:
    """Adam with L2 on the trainable AMM weights. The fused kernel when this torch has it for the
    model's device: one step of the MGID model takes 2.3 ms instead of 10.6 ms on 2 CPU cores."""
    groups = weight_decay_groups(model, weight_decay)
    try:
        return torch.optim.Adam(groups, lr=lr, fused=True)
    except (RuntimeError, TypeError, ValueError):  # an older torch, or a device without it
        # fresh groups: the failed constructor has already written its defaults into `groups`
        return torch.optim.Adam(weight_decay_groups(model, weight_decay), lr=lr)


def main_task(config: RunConfig) -> str:
    """Depression is the main task, unless a single-task run learns only emotion."""
    return config.model.task or "depression"


def model_tasks(model: nn.Module) -> tuple[str, ...]:
    return tuple(getattr(model, "tasks", ("depression", "emotion")))


def predict_items(
    model: nn.Module,
    items: Sequence[FeatureItem],
    genders: dict[str, Tensor],
    config: RunConfig,
    normaliser: VisualNormaliser | None,
    device: torch.device,
    batch_size: int = 256,
) -> dict[str, np.ndarray]:
    """task -> (N, C) probabilities, in the order of `items`."""
    split = SplitTensors.build(items, genders, config.model, normaliser, device=device)
    return predict_split(model, split, batch_size)


def predict_split(model: nn.Module, split: SplitTensors, batch_size: int = 256
                  ) -> dict[str, np.ndarray]:
    """task -> (N, C) probabilities in split order; batches of similar text length (each row's
    output does not depend on its batch), put back in order."""
    model.eval()
    order = split.length_order()
    chunks: dict[str, list[Tensor]] = {}
    with torch.inference_mode():
        for batch in split.batches(order, batch_size):
            for task, probs in model.compute(*batch.inputs()).probs.items():
                chunks.setdefault(task, []).append(probs.float().cpu())
    result = {}
    for task, parts in chunks.items():
        probs = torch.cat(parts)
        result[task] = torch.empty_like(probs).index_copy_(0, order, probs).numpy()
    return result


def dev_loss(probs: dict[str, np.ndarray], items: Sequence[FeatureItem]) -> float:
    """Mean negative log-likelihood over the labelled rows of every task (a tie-breaker)."""
    losses = []
    for task, task_probs in probs.items():
        truth = np.array([it.labels.get(task, IGNORE_INDEX) for it in items])
        keep = truth != IGNORE_INDEX
        if keep.any():
            chosen = task_probs[keep, truth[keep]]
            losses.append(float(-np.log(np.clip(chosen, 1e-9, 1.0)).mean()))
    return float(np.mean(losses)) if losses else 0.0


def micro_f1(probs: np.ndarray, items: Sequence[FeatureItem], task: str) -> float:
    """Micro-F1 over labelled items (equals accuracy for single-label classification)."""
    truth = np.array([it.labels.get(task, IGNORE_INDEX) for it in items])
    keep = truth != IGNORE_INDEX
    if not keep.any():
        return 0.0
    return float((probs[keep].argmax(1) == truth[keep]).mean())


def train_model(
    train_items: Sequence[FeatureItem],
    dev_items: Sequence[FeatureItem],
    config: RunConfig,
    label_sets: dict[str, list[str]],
    genders: dict[str, Tensor],
    run_dir: Path,
    *,
    on_epoch: EpochCallback | None = None,
    resume: bool = False,
    parallel: Parallel = SINGLE,
) -> TrainResult:
    """Train one run. Under torchrun (`parallel`), every process trains on its share of each
    step (amm_core/distributed.py) and process 0 alone scores dev, saves and calls `on_epoch`."""
    tc = config.train
    seed_everything(tc.seed)
    device = resolve_device(tc.device, parallel.local_rank)
    model = build_model(config.model).to(device)
    optimizer = make_optimizer(model, tc.lr, tc.weight_decay)
    normaliser = VisualNormaliser.fit(train_items, config.model.visual_dim)
    state = _State(best_score=-1.0, best_loss=float("inf"), best_epoch=0, start_epoch=1,
                   history=[])
    generator = torch.Generator().manual_seed(tc.seed)  # the batches' shuffles
    if resume and (run_dir / "last.pt").exists():
        state = _restore(run_dir / "last.pt", model, optimizer, generator, config)
    if parallel.rank:  # same weights everywhere, but each process its own dropout masks
        torch.manual_seed(tc.seed + parallel.rank)
    train_split = SplitTensors.build(train_items, genders, config.model, normaliser, device=device)
    keeper = _Keeper(config, label_sets, normaliser, state, run_dir, on_epoch, dev_items,
                     SplitTensors.build(dev_items, genders, config.model, normaliser,
                                        device=device) if parallel.main else None, generator)
    started, seen, verdict = time.perf_counter(), 0, _GO_ON
    for epoch in range(state.start_epoch, _last_epoch(state, tc.epochs, tc.patience) + 1):
        loss = _train_epoch(model, optimizer, train_split, config, generator, parallel)
        seen += len(train_items)
        verdict = keeper.end_epoch(model, optimizer, epoch, loss) if parallel.main else _GO_ON
        verdict = broadcast_int(verdict, parallel, device)
        if verdict != _GO_ON:
            break
    seconds = time.perf_counter() - started
    epochs_run = len(state.history)
    cancelled = verdict == _CANCEL
    return TrainResult(
        best_epoch=state.best_epoch, best_score=state.best_score, epochs_run=epochs_run,
        stopped_early=not cancelled and epochs_run < tc.epochs, cancelled=cancelled,
        seconds=round(seconds, 2), samples_per_second=round(seen / max(seconds, 1e-9), 1),
        history=state.history, best_path=run_dir / "best.pt",
        best_sha256=keeper.best_sha256,
    )


_GO_ON, _STOP, _CANCEL = 0, 1, 2  # what process 0 decides after an epoch


def _last_epoch(state: _State, epochs: int, patience: int) -> int:
    """`epochs`, unless a resumed run had already stopped early: then the epoch it stopped at
    (resuming it trains nothing; a larger patience in the config lets it go on)."""
    done = state.start_epoch - 1
    return done if done and state.stale(done) >= patience else epochs


@dataclass
class _Keeper:
    """After each epoch: score dev, keep the best checkpoint and the last, call back, decide."""

    config: RunConfig
    label_sets: dict[str, list[str]]
    normaliser: VisualNormaliser
    state: _State
    run_dir: Path
    on_epoch: EpochCallback | None
    dev_items: Sequence[FeatureItem]
    dev_split: SplitTensors | None
    generator: torch.Generator
    best_sha256: str | None = None

    def end_epoch(self, model: nn.Module, optimizer, epoch: int, loss: float) -> int:
        task, state, dev = main_task(self.config), self.state, self.dev_items
        dev_probs = predict_split(model, self.dev_split, EVAL_BATCH_SIZE) if dev else {}
        score = micro_f1(dev_probs[task], dev, task) if dev else -loss
        tie_break = dev_loss(dev_probs, dev) if dev else loss
        record = {"epoch": epoch, "loss": round(loss, 6), f"dev_{task}_micro_f1": round(score, 6),
                  "dev_loss": round(tie_break, 6)}
        state.history.append(record)
        save = partial(_save, model=model, optimizer=optimizer, config=self.config,
                       label_sets=self.label_sets, normaliser=self.normaliser, state=state,
                       epoch=epoch, generator=self.generator)
        # Best = highest dev main-task micro-F1; among equal scores (common on small dev
        # splits), the lower dev loss over all tasks, so the secondary task keeps improving.
        if score > state.best_score or (score == state.best_score
                                        and tie_break < state.best_loss):
            state.best_score, state.best_loss, state.best_epoch = score, tie_break, epoch
            self.best_sha256 = save(self.run_dir / "best.pt")
        save(self.run_dir / "last.pt")
        epochs = self.config.train.epochs
        if self.on_epoch is not None and self.on_epoch(epoch, epochs, record) is False:
            return _CANCEL
        return _STOP if state.stale(epoch) >= self.config.train.patience else _GO_ON


def _train_epoch(model, optimizer, split: SplitTensors, config: RunConfig, generator,
                 parallel: Parallel = SINGLE) -> float:
    """One pass over the split; the mean training loss. Under torchrun each step's batch holds
    `world x batch_size` items and this process learns from its share."""
    model.train()
    total, batches = 0.0, 0
    tc = config.train
    params = [p for p in model.parameters() if p.requires_grad]
    for indices in split.bucketed_batches(generator, tc.batch_size * parallel.world,
                                          tc.length_window):
        optimizer.zero_grad(set_to_none=True)
        loss = _backward(model, split, shard(indices, parallel), tc.emotion_weight)
        loss = average_gradients(params, loss, parallel)
        if loss is None:  # no label for any task in the batch: nothing to learn from
            continue
        optimizer.step()
        total += loss
        batches += 1
    return total / max(batches, 1)


def _backward(model, split: SplitTensors, indices: Tensor, emotion_weight: float
              ) -> float | None:
    """Gradients of the batch at `indices`; its loss, None when it has nothing to learn from."""
    if len(indices) == 0:
        return None
    output = model(split.batch(indices), emotion_weight=emotion_weight)
    if output.loss is None or not output.loss.requires_grad:
        return None
    output.loss.backward()
    return float(output.loss.detach())


@dataclass
class _State:
    best_score: float
    best_loss: float
    best_epoch: int
    start_epoch: int
    history: list[dict[str, Any]]

    def stale(self, epoch: int) -> int:
        """Epochs since the best one, after `epoch`: early stopping's count (so a resumed run
        counts on where it stopped)."""
        return epoch - self.best_epoch


def _save(path, *, model, optimizer, config, label_sets, normaliser, state, epoch,
          generator) -> str:
    """A checkpoint to predict with and to resume from: with the optimiser state and both random
    streams (dropout's and the batches' shuffle), so a resumed run goes on as if never stopped."""
    checkpoint = Checkpoint(
        config=config, label_sets=label_sets,
        state_dict={k: v.detach().cpu() for k, v in model.state_dict().items()},
        epoch=epoch, best_score=state.best_score, optimizer_state=optimizer.state_dict(),
        extra={"visual_norm": normaliser.state(), "best_epoch": state.best_epoch,
               "best_loss": state.best_loss,
               "history": state.history,
               "rng": {"torch": torch.get_rng_state(), "batches": generator.get_state()}},
    )
    return save_checkpoint(checkpoint, path)


def check_same_run(checkpoint: Checkpoint, config: RunConfig, path: Path) -> None:
    """ValueError (one line) unless `last.pt` was trained with this model and these features
    (the training settings, epochs and patience say, may change on resume)."""
    then, now = to_dict(checkpoint.config), to_dict(config)
    for section in ("model", "features"):
        for key, value in now[section].items():
            if section == "features" and key == "text_model":
                continue  # compared by what the model is, below, not how its path is spelt
            if then[section].get(key) != value:
                raise ValueError(f"cannot resume from {path}: it was trained with {section}."
                                 f"{key} = {then[section].get(key)!r}, not {value!r}; train "
                                 "under another --name")
    current = text_model_identity(config.features.text_model)
    if checkpoint.text_identity not in (None, current):
        raise ValueError(f"cannot resume from {path}: it was trained on the features of another "
                         f"text model ({checkpoint.config.features.text_model!r}); train under "
                         "another --name")


def _restore(path: Path, model: nn.Module, optimizer: torch.optim.Optimizer,
             generator: torch.Generator, config: RunConfig) -> _State:
    """Weights, optimiser, random streams and bookkeeping from `last.pt`; ValueError (one line)
    when it was saved by another model or on other features."""
    checkpoint = load_checkpoint(path)
    check_same_run(checkpoint, config, path)
    try:
        model.load_state_dict(checkpoint.state_dict)
        if checkpoint.optimizer_state:
            optimizer.load_state_dict(checkpoint.optimizer_state)
    except (RuntimeError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ValueError(f"cannot resume from {path}: it holds another model's weights "
                         f"({first}); train under another --name") from None
    rng = checkpoint.extra.get("rng") or {}
    if "torch" in rng:  # checkpoints written before the streams were saved resume without them
        torch.set_rng_state(rng["torch"])
        generator.set_state(rng["batches"])
    return _State(
        best_score=checkpoint.best_score if checkpoint.best_score is not None else -1.0,
        best_loss=checkpoint.extra.get("best_loss", float("inf")),
        best_epoch=checkpoint.extra.get("best_epoch", 0), start_epoch=checkpoint.epoch + 1,
        history=list(checkpoint.extra.get("history", [])),
    )
