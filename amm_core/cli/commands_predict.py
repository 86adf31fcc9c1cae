"""`amm predict` on a dataset split or on one text + image / video."""

from __future__ import annotations

import argparse
from typing import Any

from amm_core.cli.model_data import featurize, load_dataset, load_run_predictor
from amm_core.cli.output import CommandError, Output
from amm_core.cli.storage import Workspace
from amm_core.evaluate import prediction_rows


def predict_dataset(workspace: Workspace, args: argparse.Namespace, out: Output) -> dict[str, Any]:
    run, predictor = load_run_predictor(workspace, args.run)
    data = load_dataset(workspace, args.dataset)
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


def predict_single(workspace: Workspace, args: argparse.Namespace, out: Output) -> dict[str, Any]:
    media = args.image or args.video
    if media is not None and not media.is_file():
        raise CommandError(f"{media}: file not found")
    _, predictor = load_run_predictor(workspace, args.run)
    try:
        result = predictor.predict_upload(args.text or "", media, args.gender)
    except ValueError as exc:
        raise CommandError(str(exc)) from exc
    return {"run": args.run, **result}
