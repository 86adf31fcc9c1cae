"""The Runs page through AppTest: the demo's runs listed with metrics, the start form's
validation (nothing started), and the paper suite's Tables III-V beside the paper's numbers."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from amm_core.cli.storage import open_workspace
from amm_core.experiment import report_rows, suite_runs, to_csv
from amm_core.workspace import Settings
from db import crud
from db import runs as db_runs

ROOT = Path(__file__).resolve().parents[2]
PAGE = str(ROOT / "app" / "pages" / "runs.py")


def _frame(at: AppTest, index: int = 0):
    return at.dataframe[index].value


def test_lists_the_demo_runs_with_their_metrics(demo_env):
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    assert not at.exception
    table = _frame(at)
    assert set(table["run"]) >= {"demo-amm", "demo-amm-daic"}
    demo = table.set_index("run").loc["demo-amm"]
    assert demo["dataset"] == "demo-mgid" and demo["status"] == "completed"
    assert 0 < demo["test depression micro-F1"] <= 1 and demo["device"]
    assert any("amm experiment --dataset" in c.value for c in at.code)  # no suite yet


@pytest.mark.parametrize(("widgets", "error"), [
    ({"runs_name": "demo-amm"}, "already exists"),
    ({"runs_name": "../escape"}, "must be letters"),
    ({"runs_variant": "stl"}, "needs a task"),
])
def test_bad_start_requests_show_one_error_and_start_nothing(demo_env, widgets, error):
    runs_dir = demo_env / "runs"
    before = sorted(p.name for p in runs_dir.iterdir())
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    for key, value in widgets.items():
        if key == "runs_name":
            at.text_input(key=key).input(value)
        else:
            at.selectbox(key=key).select(value)
    at.button(key="runs_start").click().run()
    assert not at.exception
    assert len(at.error) == 1 and error in at.error[0].value
    assert sorted(p.name for p in runs_dir.iterdir()) == before


@pytest.fixture
def suite_home(tmp_path: Path, monkeypatch) -> Path:
    """A workspace with a finished paper suite on an MGID dataset (constructed metrics) and an
    older report file for a dataset whose runs are gone."""
    home = tmp_path / "home"
    workspace = open_workspace(Settings.resolve(home, env={}))
    results = {}
    with workspace.sessions() as session, session.begin():
        dataset = crud.upsert_dataset(session, "posts", kind="mgid", source_path=None,
                                      label_sets={}, summary={}, synthetic=True)
        for index, grid in enumerate(suite_runs()):
            metrics = {"test": {task: {"micro_f1": 0.5 + index / 100, "macro_f1": 0.4}
                                for task in ("depression", "emotion")}}
            results[grid.key()] = metrics
            run = db_runs.create_run(session, f"exp-posts-{grid.key()}-s7",
                                     dataset_id=dataset.id, variant=grid.variant)
            db_runs.update_run(session, run.id, status="completed", metrics=metrics)
    old = workspace.settings.runs_dir / "archived-paper"
    old.mkdir(parents=True)
    (old / "report.csv").write_text(to_csv(report_rows("mgid", results)), encoding="utf-8")
    monkeypatch.setenv("AMM_HOME", str(home))
    monkeypatch.delenv("AMM_DATABASE_URL", raising=False)
    return home


def test_paper_tables_put_the_papers_numbers_beside_ours(suite_home):
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    assert not at.exception
    texts = [m.value for m in at.markdown]
    assert any("posts" in t and "seed 7" in t for t in texts)
    assert any("archived" in t and "report.csv" in t for t in texts)
    assert [t for t in texts if t.startswith("Table ")][:3] == [
        "Table III: modalities", "Table IV: attention ablations",
        "Table V: multi-task vs single-task"]
    tables = [f.value for f in at.dataframe if "paper micro-F1 %" in f.value.columns]
    assert len(tables) == 6  # three tables for the suite runs, three from the report file
    modalities = tables[0].set_index("model")
    amm = modalities.loc["AMM (text+image)"]
    assert amm["paper micro-F1 %"] == 74.1
    assert amm["ours micro-F1 %"] == 54.0  # the fifth grid run: 0.5 + 4/100
    assert amm["ours − paper"] == pytest.approx(54.0 - 74.1, abs=0.05)
    assert tables[3].equals(tables[0])  # the report file says the same


def test_a_running_run_shows_live_progress_and_can_be_cancelled(tmp_path, monkeypatch):
    home = tmp_path / "home"
    workspace = open_workspace(Settings.resolve(home, env={}))
    alive = {"pid": os.getpid(), "host": socket.gethostname()}  # this process: alive
    with workspace.sessions() as session, session.begin():
        run = db_runs.create_run(session, "live", config={"process": alive})
        db_runs.update_run(session, run.id, progress=0.4, message="epoch 4/10")
    monkeypatch.setenv("AMM_HOME", str(home))
    monkeypatch.delenv("AMM_DATABASE_URL", raising=False)
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception
    bar = at.get("progress")[0].proto
    assert bar.value == 40 and "live" in bar.text and "epoch 4/10" in bar.text
    at.button(key="runs_cancel_live").click().run()
    assert not at.exception
    with workspace.sessions() as session:
        assert crud.get_run(session, "live").status == "cancelling"
    assert at.button(key="runs_cancel_live").disabled  # asked once; the loop does the rest
