"""`amm experiment --suite paper` trains the Tables III-V grid and writes Markdown + CSV."""

from __future__ import annotations

import csv
import shutil

import pytest

from amm_core.experiment import (
    PAPER_SUITE,
    paired_differences,
    report_rows,
    suite_runs,
    to_markdown,
)
from tests.cli.helpers import amm_json, import_small_mgid


@pytest.mark.slow
def test_paper_suite_report(trained_home, tmp_path, capsys):
    home = tmp_path / "home"
    shutil.copytree(trained_home["home"], home)  # features already cached
    out_dir = tmp_path / "report"
    code, out, err = amm_json(capsys, "experiment", "--dataset", "small", "--suite", "paper",
                              "--epochs", "1", "--out", str(out_dir), "--home", str(home))
    assert code == 0, err
    assert out["runs"] == len(suite_runs()) == 10
    assert len(out["rows"]) == len(PAPER_SUITE)
    rows = list(csv.DictReader((out_dir / "report.csv").open(encoding="utf-8")))
    assert len(rows) == len(PAPER_SUITE)
    assert all(r["micro_f1"] for r in rows)  # every row has our figure
    text = (out_dir / "report.md").read_text(encoding="utf-8")
    assert "## Table III: modalities" in text and "| Text-AMM | depression |" in text
    assert "74.1" in text and "72.1" in text and "64.6" in text  # the paper's MGID figures
    # A second call with the same settings reuses the completed runs instead of training them
    # again, and says so.
    code, again, _ = amm_json(capsys, "experiment", "--dataset", "small", "--suite", "paper",
                              "--epochs", "1", "--out", str(out_dir), "--home", str(home))
    assert code == 0 and again["rows"] == out["rows"]
    assert out["reused"] == [] and len(again["reused"]) == 10


def _metrics(test_f1: float, dev_f1: float) -> dict:
    """A run's stored metrics, reduced to what the report reads (depression only)."""
    test = {"micro_f1": test_f1, "macro_f1": test_f1 - 0.01,
            "intervals": {"micro_f1": [test_f1 - 0.05, test_f1 + 0.04]}}
    return {"dev": {"depression": {"micro_f1": dev_f1}}, "test": {"depression": test}}


def test_several_seeds_report_mean_sd_dev_and_paired_differences():
    results = {
        "amm-text+image": [_metrics(0.80, 0.82), _metrics(0.84, 0.86), _metrics(0.82, 0.84)],
        "linear-text+image": [_metrics(0.78, 0.80), _metrics(0.80, 0.80), _metrics(0.83, 0.81)],
    }
    rows = {r["model"]: r for r in report_rows("mgid", results)}
    amm, floor = rows["AMM (text+image)"], rows["Linear probe (floor)"]
    assert (amm["micro_f1"], amm["micro_f1_sd"], amm["seeds"]) == (82.0, 2.0, 3)
    assert amm["dev_micro_f1"] == 84.0 and (amm["ci_low"], amm["ci_high"]) == (77.0, 86.0)
    assert floor["micro_f1"] == 80.3 and amm["paper_micro_f1"] == 74.1
    assert rows["Text-AMM"]["micro_f1"] is None and rows["Text-AMM"]["seeds"] == 0
    notes = paired_differences(results)
    assert notes[0].startswith("AMM - linear probe (depression")
    assert "+1.7 ± 2.5 pt; ahead in 2, tied in 0 of 3 seed(s)" in notes[0]
    assert len(notes) == 1  # no pairs for runs that are missing
    text = to_markdown("demo-mgid", list(rows.values()), notes)
    assert "over 3 seed(s)" in text and "| AMM (text+image) | depression | 82.0 ± 2.0 |" in text


def test_one_seed_keeps_the_single_run_shape():
    rows = report_rows("mgid", {"amm-text+image": _metrics(0.75, 0.7)})
    amm = next(r for r in rows if r["model"] == "AMM (text+image)")
    assert list(amm)[:7] == ["table", "model", "task", "run", "micro_f1", "macro_f1",
                             "paper_micro_f1"]
    assert (amm["micro_f1"], amm["micro_f1_sd"], amm["seeds"]) == (75.0, None, 1)


def test_a_task_without_train_labels_is_left_out_of_the_grid(tmp_path, capsys):
    """DAIC before any gold emotion label: the single-task emotion runs cannot learn anything,
    so the grid leaves them out (and the report says why) instead of storing untrained heads."""
    from amm_core.cli.commands_experiment import _learnable_runs
    from amm_core.cli.storage import open_workspace
    from amm_core.workspace import Settings
    from tests.data.daic_fixtures import write_daic_corpus

    home = tmp_path / "home"
    assert amm_json(capsys, "import", "daic", "--root", str(write_daic_corpus(tmp_path / "d")),
                    "--home", str(home))[0] == 0
    workspace = open_workspace(Settings.resolve(home))
    grid, missing = _learnable_runs(workspace, "daic", suite_runs())
    workspace.engine.dispose()
    assert missing == ["emotion"]
    assert [r for r in suite_runs() if r not in grid] == [
        r for r in suite_runs() if r.task == "emotion"]
    assert any(r.task == "emotion" for r in suite_runs()) and len(grid) > 5


@pytest.fixture
def grid_home(tmp_path):
    """An MGID dataset `small` whose whole paper grid (seed 0) is stored as completed 1-epoch
    runs (constructed metrics: nothing is trained)."""
    from amm_core.cli.storage import open_workspace
    from amm_core.workspace import Settings
    from db import crud
    from db import runs as db_runs

    home = import_small_mgid(tmp_path, seed=3)
    workspace = open_workspace(Settings.resolve(home))
    with workspace.sessions() as session, session.begin():
        dataset = crud.get_dataset(session, "small")
        for grid in suite_runs():
            config = {"model": {"variant": grid.variant, "task": grid.task,
                                "modalities": grid.modalities},
                      "train": {"epochs": 1, "seed": 0}}
            run = db_runs.create_run(session, f"exp-small-{grid.key()}-s0", config=config,
                                     dataset_id=dataset.id, variant=grid.variant)
            db_runs.update_run(session, run.id, status="completed", metrics=_metrics(0.8, 0.8))
    workspace.engine.dispose()
    return home


def test_runs_trained_with_other_epochs_are_refused_not_reused(grid_home, tmp_path, capsys):
    from tests.cli.helpers import row_counts

    before = row_counts(grid_home)
    out_dir = tmp_path / "exp2"
    code, result, err = amm_json(capsys, "experiment", "--dataset", "small", "--suite", "paper",
                                 "--epochs", "2", "--out", str(out_dir), "--home", str(grid_home))
    assert code != 0 and result is None and len(err.strip().splitlines()) == 1
    assert "exp-small-linear-text+image-s0" in err and "1 epoch" in err and "not 2" in err
    assert "--epochs 1" in err and "amm admin delete-run" in err  # what to do
    assert not out_dir.exists() and row_counts(grid_home) == before  # nothing trained
    # without --epochs the request is Table II's 100 epochs: refused as well
    code, _, err = amm_json(capsys, "experiment", "--dataset", "small", "--suite", "paper",
                            "--out", str(out_dir), "--home", str(grid_home))
    assert code != 0 and "not 100" in err


def test_reused_runs_are_reported_with_their_epochs(grid_home, tmp_path, capsys):
    out_dir = tmp_path / "exp1"
    code, result, err = amm_json(capsys, "experiment", "--dataset", "small", "--suite", "paper",
                                 "--epochs", "1", "--out", str(out_dir), "--home", str(grid_home))
    assert code == 0, err
    assert result["epochs"] == 1 and sorted(result["reused"]) == sorted(
        f"exp-small-{g.key()}-s0" for g in suite_runs())
    assert all(row["epochs"] == 1 for row in result["rows"])
    rows = list(csv.DictReader((out_dir / "report.csv").open(encoding="utf-8")))
    assert {r["epochs"] for r in rows} == {"1"}
    assert "1 epoch" in (out_dir / "report.md").read_text(encoding="utf-8")


def test_every_row_of_the_full_amm_run_carries_the_papers_figure():
    """Tables IV and V repeat the AMM run: its rows show the paper's AMM figure too."""
    results = {"amm-text+image": _metrics(0.75, 0.7)}
    rows = {r["model"]: r for r in report_rows("mgid", results)}
    for label in ("AMM (text+image)", "AMM (full)", "AMM multi-task (depression)"):
        assert rows[label]["paper_micro_f1"] == 74.1
    daic = {r["model"]: r for r in report_rows("daic", results)}
    assert daic["AMM (full)"]["paper_micro_f1"] == daic["AMM multi-task (depression)"][
        "paper_micro_f1"] == 68.5
    assert rows["AMM multi-task (emotion)"]["paper_micro_f1"] == 58.1
    assert rows["STL depression"]["paper_micro_f1"] is None


def test_paired_differences_use_the_unrounded_scores():
    # 82.449 - 81.351 = 1.098 -> +1.1; from the rounded 82.4 and 81.4 it would read +1.0
    results = {"amm-text+image": [_metrics(0.82449, 0.8)],
               "linear-text+image": [_metrics(0.81351, 0.8)]}
    assert "+1.1 pt" in paired_differences(results)[0]
