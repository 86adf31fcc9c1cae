"""`amm experiment --dataset NAME --suite paper`: train the Tables III-V grid, write a Markdown
and CSV report beside the paper's figures."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from amm_core.cli.output import CommandError, Output
from amm_core.cli.storage import open_workspace
from amm_core.workspace import Settings
from db import crud


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    experiment = commands.add_parser("experiment", parents=[common],
                                     help="train the paper's grid and write a report")
    experiment.add_argument("--dataset", required=True)
    experiment.add_argument("--suite", required=True, choices=("paper",))
    experiment.add_argument("--epochs", type=int, help="epochs per run (default: Table II)")
    experiment.add_argument("--seed", type=int, default=0)
    experiment.add_argument("--out", type=Path, help="report folder (runs/DATASET-paper)")
    experiment.set_defaults(handler=run_experiment)


def run_experiment(args: argparse.Namespace, out: Output) -> dict[str, Any]:
    from amm_core.cli.training import TrainRequest, train_run
    from amm_core.experiment import report_rows, suite_runs, to_csv, to_markdown

    workspace = open_workspace(Settings.resolve(args.home))
    with workspace.sessions() as session:
        dataset = crud.get_dataset(session, args.dataset)
        if dataset is None:
            raise CommandError(f"unknown dataset '{args.dataset}'")
        kind = dataset.kind
    results: dict[str, dict[str, Any]] = {}
    notes: list[str] = []
    for grid_run in suite_runs():
        name = f"exp-{args.dataset}-{grid_run.key()}-s{args.seed}"
        out.progress(f"experiment: {name}")
        with workspace.sessions() as session:
            done = crud.get_run(session, name)
            if done is not None and done.status == "completed":
                results[grid_run.key()] = dict(done.metrics or {})
                continue
        request = TrainRequest(dataset=args.dataset, variant=grid_run.variant,
                               task=grid_run.task, modalities=grid_run.modalities,
                               epochs=args.epochs, seed=args.seed, name=name, resume=True)
        results[grid_run.key()] = train_run(workspace, request, out)["metrics"]
    rows = report_rows(kind, results)
    if not any(r["micro_f1"] is not None for r in rows if r["task"] == "emotion"):
        notes.append("no emotion labels on the test split: emotion rows are empty")
    folder = args.out or workspace.settings.runs_dir / f"{args.dataset}-paper"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report.md").write_text(to_markdown(args.dataset, rows, notes), encoding="utf-8")
    (folder / "report.csv").write_text(to_csv(rows), encoding="utf-8")
    return {"dataset": args.dataset, "suite": args.suite, "runs": len(results), "rows": rows,
            "report": str(folder / "report.md"), "csv": str(folder / "report.csv")}
