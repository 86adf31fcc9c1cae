"""Model commands: `amm features`, `amm train`, `amm evaluate`, `amm predict`."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from amm_core.cli import arguments
from amm_core.cli.names import check_name
from amm_core.cli.output import CommandError, Output
from amm_core.cli.storage import Workspace, open_workspace
from amm_core.config import GENDER_WORDS, MODALITIES, TASKS, resolve_config
from amm_core.workspace import Settings
from db import crud

# torch-heavy modules (training, features, model) are imported inside the handlers, so that
# `amm --help` and the data commands start fast.


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    features = commands.add_parser("features", parents=[common], help="precompute features")
    features.add_argument("--dataset", required=True)
    features.add_argument("--text-model", help="Hugging Face id or local folder, available offline")
    features.set_defaults(handler=run_features)

    train = commands.add_parser("train", parents=[common], help="train an AMM run")
    train.add_argument("--dataset", required=True)
    train.add_argument("--variant", default="amm")
    train.add_argument("--task", choices=TASKS)
    train.add_argument("--modalities", default="text+image", choices=MODALITIES)
    train.add_argument("--epochs", type=arguments.positive_int)
    train.add_argument("--seed", type=arguments.seed, default=0)
    train.add_argument("--name", help="run name (default: dataset-variant-modalities-sSEED)")
    train.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    train.add_argument("--resume", action="store_true", help="continue a run from its last epoch")
    train.add_argument("--text-model", help="Hugging Face id or local folder, available offline")
    train.set_defaults(handler=run_train)

    evaluate = commands.add_parser("evaluate", parents=[common], help="score a run on a split")
    evaluate.add_argument("--run", required=True)
    evaluate.add_argument("--split", default="test", choices=("train", "dev", "test"))
    evaluate.set_defaults(handler=run_evaluate)

    predict = commands.add_parser("predict", parents=[common], help="predict with a run")
    predict.add_argument("--run", required=True)
    predict.add_argument("--dataset")
    predict.add_argument("--split")
    predict.add_argument("--text")
    media = predict.add_mutually_exclusive_group()
    media.add_argument("--image", type=Path)
    media.add_argument("--video", type=Path)
    predict.add_argument("--gender", choices=GENDER_WORDS)
    predict.set_defaults(handler=run_predict)


def run_features(args: argparse.Namespace, out: Output) -> dict[str, Any]:
    from amm_core.cli.model_data import featurize, load_dataset
    from amm_core.features.cache import FeatureCache

    workspace = open_workspace(Settings.resolve(args.home))
    data = load_dataset(workspace, args.dataset)
    config = resolve_config(data.kind, text_model_override(args.text_model)).features
    started = time.perf_counter()
    items = featurize(workspace, data.samples, config, data.label_sets, out)
    seconds = round(time.perf_counter() - started, 2)
    return {
        "dataset": data.name, "samples": len(items),
        "with_visual": sum(it.visual is not None for it in items),
        "visual_errors": sum(it.visual_error is not None for it in items),
        "seconds": seconds,
        # temp files of cache writes a killed process left behind (an hour old or more)
        "cache_orphans_removed": FeatureCache(workspace.settings.cache_dir).sweep_orphans(),
    }


def _check_something_to_resume(workspace, name: str) -> None:  # noqa: ANN001
    """`--resume` names an existing run (a typo must not quietly start a new one; `amm
    experiment` resumes through the library, where a missing run starts at epoch 1)."""
    from db import crud
    from db import runs as db_runs

    with workspace.sessions() as session:
        if crud.get_run(session, name) is not None:
            return
        known = ", ".join(r.name for r in db_runs.list_runs(session)) or "none yet"
    raise CommandError(f"--resume: there is no run '{name}' to resume (known: {known})")


def run_train(args: argparse.Namespace, out: Output) -> dict[str, Any]:
    from amm_core.cli.training import TrainRequest, train_run
    from amm_core.distributed import leave

    if args.name is not None:
        check_name("run", args.name)  # an empty --name is refused, not replaced by the default
    workspace = open_workspace(Settings.resolve(args.home))
    request = TrainRequest(dataset=args.dataset, variant=args.variant, task=args.task,
                           modalities=args.modalities, epochs=args.epochs, seed=args.seed,
                           name=args.name, device=args.device, resume=args.resume,
                           overrides=text_model_override(args.text_model),
                           parallel=args.parallel)
    check_name("run", request.run_name())
    if args.resume:
        _check_something_to_resume(workspace, request.run_name())
    try:
        return train_run(workspace, request, out)
    finally:
        leave()  # the torchrun process group, if this process joined one


def text_model_override(text_model: str | None) -> dict[str, dict[str, Any]]:
    """--text-model as a config override; the model's width follows the encoder's. A folder is
    kept as its absolute path, so the run finds it again from any working folder."""
    if not text_model:
        return {}
    folder = Path(text_model).expanduser()
    return {"features": {"text_model": str(folder.resolve()) if folder.is_dir() else text_model}}


def run_evaluate(args: argparse.Namespace, out: Output) -> dict[str, Any]:
    from amm_core.cli.model_data import featurize, load_run_predictor
    from amm_core.evaluate import score

    workspace = open_workspace(Settings.resolve(args.home))
    run, predictor = load_run_predictor(workspace, args.run)
    data = _run_dataset(workspace, run)
    ids, samples = data.split(args.split)
    if not samples:
        raise CommandError(f"dataset '{data.name}' has no '{args.split}' split")
    items = featurize(workspace, samples, predictor.config.features, data.label_sets, out)
    metrics = score(predictor.predict_items(items), items, data.label_sets,
                    seed=predictor.config.train.seed)
    return {"run": args.run, "split": args.split, "metrics": metrics}


def _run_dataset(workspace: Workspace, run):
    from amm_core.cli.model_data import load_dataset

    with workspace.sessions() as session:
        dataset = next((d for d in crud.list_datasets(session) if d.id == run.dataset_id), None)
    if dataset is None:
        raise CommandError(f"the dataset of run '{run.name}' no longer exists")
    return load_dataset(workspace, dataset.name)


def run_predict(args: argparse.Namespace, out: Output) -> dict[str, Any]:
    from amm_core.cli.commands_predict import predict_dataset, predict_single

    if args.dataset is None and args.text is None and args.image is None and args.video is None:
        raise CommandError("give --dataset NAME, or --text T (with --image F or --video F)")
    if args.dataset is not None and (args.text or args.image or args.video):
        raise CommandError("--dataset predicts stored samples; do not mix it with --text/--image")
    if args.dataset is None and args.split is not None:
        raise CommandError("--split chooses a split of --dataset; give --dataset NAME too")
    if args.dataset is not None and args.gender is not None:
        raise CommandError("--gender goes with --text (one upload); stored samples keep their own")
    workspace = open_workspace(Settings.resolve(args.home))
    if args.dataset is not None:
        return predict_dataset(workspace, args, out)
    return predict_single(workspace, args, out)
