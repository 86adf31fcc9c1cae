"""One training run end to end: config, run row, features, training with live progress, metrics
on dev and test, predictions for every sample. Used by `amm train`, `amm experiment` and the demo.
"""

from __future__ import annotations

import os
import time
import traceback
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from amm_core.checkpoint import CheckpointError, file_sha256, load_checkpoint
from amm_core.cli.model_data import DatasetSamples, featurize, load_dataset
from amm_core.cli.output import CommandError, Output, one_line
from amm_core.cli.process import process_info
from amm_core.cli.storage import Workspace
from amm_core.config import MODALITIES, RunConfig, resolve_config, to_dict
from amm_core.dataset import gender_table, label_indices
from amm_core.distributed import (
    SINGLE,
    MainProcessFailed,
    Parallel,
    join,
    main_first,
    wait_for_main,
)
from amm_core.evaluate import prediction_rows, score
from amm_core.metrics import IGNORE_INDEX
from amm_core.model.variants import VARIANTS
from amm_core.predict import Predictor
from amm_core.train import check_same_run, main_task, model_tasks, resolve_device, train_model
from db import crud
from db import runs as db_runs

# The dashboard's cancel button sets this status; the loop stops cleanly after the current epoch
# and the run ends as "cancelled" (with the best checkpoint so far and its predictions).
CANCEL_REQUESTED = "cancelling"
_CANCEL_STATUSES = (CANCEL_REQUESTED, "cancelled")


@dataclass
class TrainRequest:
    dataset: str
    variant: str = "amm"
    task: str | None = None
    modalities: str = "text+image"
    epochs: int | None = None
    seed: int = 0
    name: str | None = None
    device: str = "auto"
    resume: bool = False  # continue from runs/<name>/last.pt (from epoch 1 when there is none)
    replace: bool = False  # train an existing run of this name again from scratch (the demo)
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)
    parallel: Parallel = SINGLE  # this process's place under torchrun

    def run_name(self) -> str:
        task = f"-{self.task}" if self.task else ""
        return self.name or f"{self.dataset}-{self.variant}{task}-{self.modalities}-s{self.seed}"


def build_config(request: TrainRequest, data: DatasetSamples) -> RunConfig:
    if request.variant not in VARIANTS:
        raise CommandError(f"unknown variant '{request.variant}' (valid: {', '.join(VARIANTS)})")
    if request.modalities not in MODALITIES:
        raise CommandError(f"unknown modalities '{request.modalities}' "
                           f"(valid: {', '.join(MODALITIES)})")
    if request.variant == "stl" and request.task is None:
        raise CommandError("--variant stl needs --task depression or --task emotion")
    overrides = {key: dict(value) for key, value in request.overrides.items()}
    model = overrides.setdefault("model", {})
    model.update(variant=request.variant, task=request.task, modalities=request.modalities,
                 n_emotion_classes=max(len(data.label_sets.get("emotion", [])), 2))
    train = overrides.setdefault("train", {})
    train.update(seed=request.seed, device=request.device)
    if request.epochs is not None:
        train["epochs"] = request.epochs
    try:
        return resolve_config(data.kind, overrides)
    except ValueError as exc:
        raise CommandError(str(exc)) from exc


def train_run(workspace: Workspace, request: TrainRequest, out: Output) -> dict[str, Any]:
    """Train, evaluate and store one run; return `{"run", "metrics": {"dev", "test"}, ...}`.

    Under torchrun every process checks the request, then process 0 alone writes the run row,
    fills the feature cache (the others then read it), scores and stores; all of them train
    (amm_core/distributed.py). The others return {}: the result is process 0's."""
    data = load_dataset(workspace, request.dataset)
    config = build_config(request, data)
    _check_labels(data, main_task(config))
    parallel = request.parallel
    try:
        device = resolve_device(config.train.device, parallel.local_rank)
    except ValueError as exc:
        raise CommandError(str(exc)) from exc
    # Fail before anything is written: the text model, and a resume on another run's settings.
    config = replace(config, model=replace(config.model, text_dim=_check_text_model(config)))
    name = request.run_name()
    if request.resume:
        _check_resumable(workspace.settings.runs_dir / name / "last.pt", config)
    if parallel.active:
        join(parallel, device)
    try:
        run_id = main_first(parallel, device, lambda: _start_run(
            workspace, name, data, config, str(device), request.resume or request.replace))
    except MainProcessFailed as exc:
        raise CommandError(str(exc)) from exc
    if not parallel.main:
        return _train_alongside(workspace, name, data, config, request.resume, parallel, device)
    try:
        return _train_and_store(workspace, run_id, name, data, config, out, request.resume,
                                parallel, device)
    except RunCancelled as exc:
        with workspace.sessions() as session, session.begin():
            db_runs.update_run(session, run_id, status="cancelled", message=str(exc))
        return {"run": name, "metrics": {}, "status": "cancelled", "best_epoch": None,
                "epochs_run": 0}
    except BaseException as exc:
        with workspace.sessions() as session, session.begin():
            db_runs.update_run(session, run_id, status="failed",
                               message=one_line(f"{type(exc).__name__}: {exc}"))
        if not isinstance(exc, CommandError | KeyboardInterrupt) and os.environ.get("AMM_DEBUG"):
            out.progress(traceback.format_exc(limit=3))  # the one line follows (from main)
        raise


def has_train_labels(data: DatasetSamples, task: str) -> bool:
    """Whether any train sample has a label of `task` (DAIC emotion: a gold label)."""
    return any(label_indices(s, data.label_sets)[task] != IGNORE_INDEX
               for s in data.samples if s.split == "train")


def _check_labels(data: DatasetSamples, task: str) -> None:
    """CommandError when the train split has no label of the task the run is judged on (it
    would "complete" with an untrained head)."""
    if not any(s.split == "train" for s in data.samples):
        raise CommandError(f"dataset '{data.name}' has no train split to learn from")
    if has_train_labels(data, task):
        return
    hint = (" (DAIC emotion labels are the adjudicated gold labels: label and adjudicate some "
            "first, see `amm annotate`)" if task == "emotion" and data.kind != "mgid" else "")
    raise CommandError(f"dataset '{data.name}' has no {task} label in its train split{hint}")


def _check_text_model(config: RunConfig) -> int:
    """The text model's width (the run's text_dim); CommandError when it cannot be loaded."""
    from amm_core.features.text import load_text_encoder

    try:
        encoder = load_text_encoder(config.features.text_model, config.features.max_tokens, None)
    except ValueError as exc:
        raise CommandError(str(exc)) from exc
    return encoder.hidden_size


def _check_resumable(last: Path, config: RunConfig) -> None:
    """CommandError when `last.pt` cannot be resumed with `config` (nothing resumes when the
    run has no last.pt yet: it starts at epoch 1)."""
    if not last.is_file():
        return
    try:
        check_same_run(load_checkpoint(last), config, last)
    except (CheckpointError, ValueError) as exc:
        raise CommandError(str(exc)) from exc


def _start_run(workspace: Workspace, name: str, data: DatasetSamples, config: RunConfig,
               device: str, reuse: bool) -> int:
    with workspace.sessions() as session, session.begin():
        existing = crud.get_run(session, name)
        if existing is not None and not reuse:
            raise CommandError(f"run '{name}' already exists; choose another --name")
        if existing is not None and existing.dataset_id != data.dataset_id:
            trained = next((d.name for d in crud.list_datasets(session)
                            if d.id == existing.dataset_id), "another dataset")
            raise CommandError(f"run '{name}' was trained on '{trained}', not '{data.name}'; "
                               "choose another --name")
        # The process is recorded so that a dashboard can tell a run whose process died.
        values = dict(dataset_id=data.dataset_id, variant=config.model.variant,
                      task=config.model.task, modalities=config.model.modalities,
                      seed=config.train.seed, device=device,
                      config={**to_dict(config), "process": process_info()})
        if existing is not None:
            db_runs.update_run(session, existing.id, status="running", message=None, **values)
            return existing.id
        return db_runs.create_run(session, name, **values).id


class RunCancelled(Exception):
    """The run was cancelled before its first epoch (nothing trained, nothing to keep)."""


def _cancel_requested(workspace: Workspace, name: str) -> bool:
    with workspace.sessions() as session:
        run = crud.get_run(session, name)
        return run is not None and run.status in _CANCEL_STATUSES


def _splits(data: DatasetSamples, items: list) -> dict[str, list]:
    splits = {s: [it for it, smp in zip(items, data.samples, strict=True) if smp.split == s]
              for s in ("train", "dev", "test")}
    if not splits["train"]:
        raise CommandError(f"dataset '{data.name}' has no train split to learn from")
    return splits


def _train_alongside(workspace: Workspace, name: str, data: DatasetSamples, config: RunConfig,
                     resume: bool, parallel: Parallel, device) -> dict[str, Any]:
    """A torchrun process other than 0: wait for its features, read them, train its shares."""
    quiet = Output(json_mode=True, quiet=True)
    try:  # while process 0 runs `prepare` in _train_and_store
        wait_for_main(parallel, device)
    except MainProcessFailed as exc:
        raise CommandError(str(exc)) from exc
    items = featurize(workspace, data.samples, config.features, data.label_sets, quiet)
    genders = gender_table(config.features, workspace.settings.cache_dir)
    splits = _splits(data, items)
    train_model(splits["train"], splits["dev"], config, data.label_sets, genders,
                workspace.settings.runs_dir / name, resume=resume, parallel=parallel)
    return {}


def _train_and_store(workspace: Workspace, run_id: int, name: str, data: DatasetSamples,
                     config: RunConfig, out: Output, resume: bool, parallel: Parallel,
                     device) -> dict[str, Any]:
    started = time.perf_counter()

    def prepare() -> list:
        items = featurize(workspace, data.samples, config.features, data.label_sets, out)
        if _cancel_requested(workspace, name):
            raise RunCancelled("cancelled before the first epoch")
        return items

    items = main_first(parallel, device, prepare)
    genders = gender_table(config.features, workspace.settings.cache_dir)
    splits = _splits(data, items)
    run_dir = workspace.settings.runs_dir / name

    def on_epoch(epoch: int, epochs: int, record: dict[str, Any]) -> bool:
        out.progress(f"epoch {epoch}/{epochs} " + " ".join(f"{k}={v}" for k, v in record.items()
                                                            if k != "epoch"))
        with workspace.sessions() as session, session.begin():
            run = crud.get_run(session, name)
            if run is not None and run.status in _CANCEL_STATUSES:
                return False
            db_runs.update_run(session, run_id, progress=round(0.95 * epoch / epochs, 4),
                               message=f"epoch {epoch}/{epochs}")
        return True

    result = train_model(splits["train"], splits["dev"], config, data.label_sets, genders,
                         run_dir, on_epoch=on_epoch, resume=resume, parallel=parallel)
    predictor = Predictor.from_checkpoint(run_dir / "best.pt", workspace.settings.cache_dir,
                                          config.train.device)
    # A head that never saw a train label (DAIC emotion before any gold label) is untrained:
    # its outputs are neither scored nor stored, and predict / explain leave it out.
    untrained = sorted(t for t in model_tasks(predictor.model) if not has_train_labels(data, t))
    predictor.untrained_tasks = tuple(untrained)
    probs = predictor.predict_items(items)
    metrics = {}
    for split in ("dev", "test"):
        chosen = [i for i, s in enumerate(data.samples) if s.split == split]
        if chosen:
            metrics[split] = score({t: p[chosen] for t, p in probs.items()},
                                   [items[i] for i in chosen], data.label_sets,
                                   seed=config.train.seed)
    status = "cancelled" if result.cancelled else "completed"
    done = f"best epoch {result.best_epoch} of {result.epochs_run}"
    if parallel.active:
        done += f" ({parallel.world} processes under torchrun)"
    stored_config = {**to_dict(config), "untrained_tasks": untrained,
                     **({"processes": parallel.world} if parallel.active else {})}
    with workspace.sessions() as session, session.begin():
        db_runs.write_predictions(session, run_id, prediction_rows(probs, data.ids,
                                                                   data.label_sets))
        db_runs.update_run(session, run_id, status=status, metrics=metrics,
                           progress=1.0 if status == "completed" else round(
                               result.epochs_run / max(config.train.epochs, 1), 4),
                           checkpoint_path=str(run_dir / "best.pt"),
                           checkpoint_sha256=file_sha256(run_dir / "best.pt"),
                           config=stored_config,
                           message=f"cancelled by request; {done}" if result.cancelled else done)
    return {
        "run": name, "metrics": metrics, "status": status, "best_epoch": result.best_epoch,
        "epochs_run": result.epochs_run, "train_samples_per_second": result.samples_per_second,
        "seconds": round(time.perf_counter() - started, 2), "checkpoint": str(run_dir / "best.pt"),
        **({"processes": parallel.world} if parallel.active else {}),
    }
