"""`amm predict` on a dataset split or on one text + image / video."""

from __future__ import annotations

import argparse
from typing import Any

from amm_core.cli.model_data import featurize, load_dataset, load_run_predictor
from amm_core.cli.output import CommandError, Output
from amm_core.cli.storage import Workspace
from amm_core.config import ModelConfig, resolve_config
from amm_core.evaluate import prediction_rows
from db import crud


def predict_dataset(workspace: Workspace, args: argparse.Namespace, out: Output) -> dict[str, Any]:
    run, predictor = load_run_predictor(workspace, args.run)
    data = load_dataset(workspace, args.dataset)
    _check_fits(workspace, run, predictor.config.model, data)
    ids, samples = data.split(args.split) if args.split else (data.ids, data.samples)
    if not samples:
        raise CommandError(f"dataset '{data.name}' has no samples in split '{args.split}'")
    items = featurize(workspace, samples, predictor.config.features, data.label_sets, out)
    rows = prediction_rows(predictor.predict_items(items), ids, data.label_sets)
    external = dict(zip(ids, (s.external_id for s in samples), strict=True))
    return {
        "run": args.run, "dataset": data.name, "split": args.split, "samples": len(samples),
        "predictions": [
            {"sample": external[r["sample_id"]], "task": r["task"], "label": r["label"],
             "probabilities": r["probabilities"]}
            for r in rows
        ],
    }


def _check_fits(workspace: Workspace, run: Any, model: ModelConfig, data: Any) -> None:
    """CommandError unless the dataset gives the features and label sets the run was trained
    on (an MGID run cannot score DAIC's OpenFace clips, nor the other way round)."""
    wanted = resolve_config(data.kind).model
    if (wanted.visual_dim, wanted.n_emotion_classes) == (model.visual_dim, model.n_emotion_classes):
        return
    with workspace.sessions() as session:
        trained = next((d for d in crud.list_datasets(session) if d.id == run.dataset_id), None)
    origin = f"a {trained.kind} dataset ('{trained.name}')" if trained else "another kind of data"
    raise CommandError(f"run '{run.name}' was trained on {origin}; '{data.name}' is a {data.kind} "
                       "dataset, whose features and labels do not fit it")


def predict_single(workspace: Workspace, args: argparse.Namespace, out: Output) -> dict[str, Any]:
    """Predict one text + image / video and store it as an upload (same path as the dashboard)."""
    from amm_core.cli.upload_store import UploadRequest, predict_and_store

    media = args.image or args.video
    if media is not None and not media.is_file():
        raise CommandError(f"{media}: file not found")
    try:
        data = media.read_bytes() if media is not None else None
    except OSError as exc:
        raise CommandError(f"{media}: cannot read file ({exc.strerror or exc})") from exc
    _, predictor = load_run_predictor(workspace, args.run)
    request = UploadRequest(text=args.text, media=data, media_name=media.name if media else None,
                            gender=args.gender,
                            expected_kind="video" if args.video is not None else
                            "image" if args.image is not None else None)
    stored = predict_and_store(workspace, args.run, predictor, request)
    for note in stored.notes:
        out.progress(note)
    return {"run": args.run, "predictions": stored.predictions, "device": stored.device,
            "latency_ms": stored.latency_ms, "upload": stored.sha256}
