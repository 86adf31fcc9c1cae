"""`amm experiment --dataset NAME --suite paper`: train the Tables III-V grid, write a Markdown
and CSV report beside the paper's figures."""

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
    results: dict[str, list[dict[str, Any]]] = {}
    notes: list[str] = []
    grid, skipped = _learnable_runs(workspace, args.dataset, suite_runs())
    if skipped:
        notes.append(f"not trained, no {' or '.join(skipped)} label in the train split: "
                     "those single-task rows are empty")
    for seed in seeds:
        for grid_run in grid:
            metrics = _run_one(workspace, args, grid_run, seed, out)
            results.setdefault(grid_run.key(), []).append(metrics)
    rows = report_rows(kind, results)
    notes += paired_differences(results)
    if not any(r["micro_f1"] is not None for r in rows if r["task"] == "emotion"):
        notes.append("no emotion labels on the test split: emotion rows are empty")
    if kind == "mgid":
        notes += _demo_ceiling(workspace, args.dataset)
    folder = args.out or workspace.settings.runs_dir / f"{args.dataset}-paper"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report.md").write_text(to_markdown(args.dataset, rows, notes), encoding="utf-8")
    (folder / "report.csv").write_text(to_csv(rows), encoding="utf-8")
    return {"dataset": args.dataset, "suite": args.suite, "seeds": seeds,
            "runs": len(results) * len(seeds), "rows": rows,
            "report": str(folder / "report.md"), "csv": str(folder / "report.csv")}


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
             out: Output) -> dict[str, Any]:
    """One grid run for one seed: reuse a completed run of that name, else train it."""
    from amm_core.cli.training import TrainRequest, train_run

    name = f"exp-{args.dataset}-{grid_run.key()}-s{seed}"
    out.progress(f"experiment: {name}")
    with workspace.sessions() as session:
        done = crud.get_run(session, name)
        if done is not None and done.status == "completed":
            return dict(done.metrics or {})
    request = TrainRequest(dataset=args.dataset, variant=grid_run.variant, task=grid_run.task,
                           modalities=grid_run.modalities, epochs=args.epochs, seed=seed,
                           name=name, resume=True)
    return train_run(workspace, request, out)["metrics"]
