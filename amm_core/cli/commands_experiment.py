"""`amm experiment --dataset NAME --suite paper`: train the Tables III-V grid, write a Markdown
and CSV report beside the paper's figures.

A grid run is named `exp-DATASET-KEY-sSEED`. A completed run of that name is reused only when
it was trained with what this request asks (epochs, seed, variant, task, modalities); otherwise
the command refuses before training anything, naming the run and the difference: the report
must never show figures of other settings than it states."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from amm_core.cli import arguments
from amm_core.cli.output import CommandError, Output
from amm_core.cli.storage import open_workspace
from amm_core.workspace import Settings
from db import crud


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    experiment = commands.add_parser("experiment", parents=[common],
                                     help="train the paper's grid and write a report")
    experiment.add_argument("--dataset", required=True)
    experiment.add_argument("--suite", required=True, choices=("paper",))
    experiment.add_argument("--epochs", type=arguments.positive_int,
                            help="epochs per run (default: Table II)")
    experiment.add_argument("--seed", type=arguments.seed, default=0, help="one seed (default 0)")
    experiment.add_argument("--seeds", type=arguments.seed, nargs="+", metavar="SEED",
                            help="several seeds: each row reports mean ± sd (overrides --seed)")
    experiment.add_argument("--out", type=Path, help="report folder (runs/DATASET-paper)")
    experiment.set_defaults(handler=run_experiment)


def run_experiment(args: argparse.Namespace, out: Output) -> dict[str, Any]:
    from amm_core.experiment import (
        paired_differences,
        report_rows,
        suite_runs,
        to_csv,
        to_markdown,
    )

    workspace = open_workspace(Settings.resolve(args.home))
    with workspace.sessions() as session:
        dataset = crud.get_dataset(session, args.dataset)
        if dataset is None:
            raise CommandError(f"unknown dataset '{args.dataset}'")
        kind = dataset.kind
    seeds = list(dict.fromkeys(args.seeds or [args.seed]))
    epochs = _requested_epochs(kind, args.epochs)
    results: dict[str, list[dict[str, Any]]] = {}
    notes: list[str] = []
    grid, skipped = _learnable_runs(workspace, args.dataset, suite_runs())
    if skipped:
        notes.append(f"not trained, no {' or '.join(skipped)} label in the train split: "
                     "those single-task rows are empty")
    reused = _reusable(workspace, args.dataset, grid, seeds, epochs)
    for seed in seeds:
        for grid_run in grid:
            metrics = _run_one(workspace, args, grid_run, seed, out, reused)
            results.setdefault(grid_run.key(), []).append(metrics)
    rows = report_rows(kind, results, epochs=epochs)
    notes += paired_differences(results)
    if not any(r["micro_f1"] is not None for r in rows if r["task"] == "emotion"):
        notes.append("no emotion labels on the test split: emotion rows are empty")
    if kind == "mgid":
        notes += _demo_ceiling(workspace, args.dataset)
    folder = args.out or workspace.settings.runs_dir / f"{args.dataset}-paper"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report.md").write_text(to_markdown(args.dataset, rows, notes, epochs=epochs),
                                      encoding="utf-8")
    (folder / "report.csv").write_text(to_csv(rows), encoding="utf-8")
    return {"dataset": args.dataset, "suite": args.suite, "seeds": seeds, "epochs": epochs,
            "runs": len(results) * len(seeds), "reused": sorted(reused), "rows": rows,
            "report": str(folder / "report.md"), "csv": str(folder / "report.csv")}


def _requested_epochs(kind: str, epochs: int | None) -> int:
    """The epochs each grid run trains for: --epochs, else the dataset's Table II preset."""
    from amm_core.config import resolve_config

    return resolve_config(kind, {"train": {"epochs": epochs}} if epochs else {}).train.epochs


def _wanted(grid_run: Any, seed: int, epochs: int) -> dict[str, Any]:
    """The settings this command chooses for one grid run, as its stored config spells them."""
    return {"epochs": epochs, "seed": seed, "variant": grid_run.variant, "task": grid_run.task,
            "modalities": grid_run.modalities}


def _stored(config: dict[str, Any] | None) -> dict[str, Any]:
    train, model = (config or {}).get("train") or {}, (config or {}).get("model") or {}
    return {"epochs": train.get("epochs"), "seed": train.get("seed"),
            **{key: model.get(key) for key in ("variant", "task", "modalities")}}


def _difference(have: dict[str, Any], want: dict[str, Any]) -> str | None:
    """"1 epoch(s), not 2" for the first setting that differs; None when all agree."""
    for key, wanted in want.items():
        if have.get(key) != wanted:
            if have.get(key) is None:
                return f"{key} not recorded (this request: {wanted})"
            if key == "epochs":
                return f"{have[key]} epoch(s), not {wanted}"
            return f"{key} {have[key]}, not {wanted}"
    return None


def _reusable(workspace: Any, dataset: str, grid: list[Any], seeds: list[int],
              epochs: int) -> set[str]:
    """The names of the completed grid runs that can stand for this request; CommandError
    (one line, before anything is trained) when a completed one was trained otherwise."""
    reused: set[str] = set()
    stale: list[tuple[str, str, dict[str, Any]]] = []
    with workspace.sessions() as session:
        for seed in seeds:
            for grid_run in grid:
                name = f"exp-{dataset}-{grid_run.key()}-s{seed}"
                done = crud.get_run(session, name)
                if done is None or done.status != "completed":
                    continue
                have = _stored(done.config)
                differs = _difference(have, _wanted(grid_run, seed, epochs))
                if differs is None:
                    reused.add(name)
                else:
                    stale.append((name, differs, have))
    if stale:
        name, differs, have = stale[0]
        more = f" ({len(stale) - 1} more of the grid's runs differ too)" if len(stale) > 1 else ""
        same = f"run again with --epochs {have['epochs']} to reuse them, or " if (
            have["epochs"] is not None and have["epochs"] != epochs) else ""
        raise CommandError(f"completed grid run '{name}' was trained with {differs}{more}; "
                           f"{same}delete them with `amm admin delete-run NAME --actor ADMIN` "
                           "so that the grid is trained afresh")
    return reused


def _learnable_runs(workspace: Any, dataset: str, runs: list[Any]) -> tuple[list[Any], list[str]]:
    """The grid runs whose main task has train labels, and the tasks that have none (a
    single-task emotion run on DAIC before any gold label, say)."""
    from amm_core.cli.model_data import load_dataset
    from amm_core.cli.training import has_train_labels

    data = load_dataset(workspace, dataset)
    tasks = {r.task or "depression" for r in runs}
    missing = sorted(t for t in tasks if not has_train_labels(data, t))
    return [r for r in runs if (r.task or "depression") not in missing], missing


def _demo_ceiling(workspace: Any, dataset_name: str) -> list[str]:
    """The demo ceiling line when the dataset's test split is the demo's (by asset and label)."""
    from amm_core.data.demo_ceiling import ceiling_note
    from db.runs import dataset_samples

    with workspace.sessions() as session:
        dataset = crud.get_dataset(session, dataset_name)
        samples = dataset_samples(session, dataset.id, "test") if dataset else []
        rows = [((s.meta or {}).get("row") or 0, (s.meta or {}).get("asset_id"),
                 None if s.depression_label is None else bool(s.depression_label))
                for s in samples]
    note = ceiling_note([(asset, label) for _, asset, label in sorted(rows, key=lambda r: r[0])])
    return [note] if note else []


def _run_one(workspace: Any, args: argparse.Namespace, grid_run: Any, seed: int,
             out: Output, reused: set[str]) -> dict[str, Any]:
    """One grid run for one seed: a completed run of that name that `_reusable` accepted,
    else train it (resuming an unfinished one)."""
    from amm_core.cli.training import TrainRequest, train_run

    name = f"exp-{args.dataset}-{grid_run.key()}-s{seed}"
    if name in reused:
        out.progress(f"experiment: {name} (reused: completed with the same settings)")
        with workspace.sessions() as session:
            return dict(crud.get_run(session, name).metrics or {})
    out.progress(f"experiment: {name}")
    request = TrainRequest(dataset=args.dataset, variant=grid_run.variant, task=grid_run.task,
                           modalities=grid_run.modalities, epochs=args.epochs, seed=seed,
                           name=name, resume=True)
    return train_run(workspace, request, out)["metrics"]
