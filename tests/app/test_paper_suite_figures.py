"""The Runs page's paper-suite tables (app.paper_suite_services): the paper's AMM figure on every
row that repeats the full AMM run, and the epochs the suite's runs trained for."""

from __future__ import annotations

from pathlib import Path

from amm_core.cli.storage import open_workspace
from amm_core.experiment import suite_runs
from amm_core.workspace import Settings
from app.paper_suite_services import suite_results
from db import crud
from db import runs as db_runs


def _suite(home: Path, kind: str) -> None:
    workspace = open_workspace(Settings.resolve(home, env={}))
    with workspace.sessions() as session, session.begin():
        dataset = crud.upsert_dataset(session, "posts", kind=kind, source_path=None,
                                      label_sets={}, summary={}, synthetic=True)
        for grid in suite_runs():
            metrics = {"test": {t: {"micro_f1": 0.6, "macro_f1": 0.5}
                                for t in ("depression", "emotion")}}
            run = db_runs.create_run(session, f"exp-posts-{grid.key()}-s0",
                                     dataset_id=dataset.id, variant=grid.variant,
                                     config={"train": {"epochs": 3, "seed": 0}})
            db_runs.update_run(session, run.id, status="completed", metrics=metrics)
    workspace.engine.dispose()


def _paper(tables: dict, table: str, model: str) -> float | None:
    return next(r["paper micro-F1 %"] for r in tables[table] if r["model"] == model)


def test_repeated_amm_rows_show_the_papers_figure_and_the_epochs_are_stated(tmp_path):
    for kind, figure in (("mgid", 74.1), ("daic", 68.5)):
        home = tmp_path / kind
        _suite(home, kind)
        (result,) = suite_results(open_workspace(Settings.resolve(home, env={})))
        assert _paper(result.tables, "III: modalities", "AMM (text+image)") == figure
        assert _paper(result.tables, "IV: attention ablations", "AMM (full)") == figure
        assert _paper(result.tables, "V: multi-task vs single-task",
                      "AMM multi-task (depression)") == figure
        assert result.source == "runs (seed 0, 3 epochs)"
