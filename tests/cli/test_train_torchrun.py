"""`amm train` under torchrun: two processes on this CPU (Gloo) train one run, stored once."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from amm_core.cli import main
from tests.cli.helpers import amm_json, import_small_mgid, row_counts

pytestmark = pytest.mark.slow


def _torchrun(*args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone",
               "--nproc-per-node", "2", "-m", "amm_core.cli", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return import_small_mgid(tmp_path_factory.mktemp("torchrun"), seed=5)


def _run(home: Path, name: str) -> dict:
    engine = create_engine(f"sqlite:///{home / 'amm.db'}")
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT status, message, config FROM model_runs WHERE name = :n"),
                            {"n": name}).all()
    engine.dispose()
    assert len(rows) == 1
    return dict(rows[0]._mapping)


def test_two_processes_train_one_run_and_print_one_result(home: Path, capsys) -> None:
    done = _torchrun("train", "--dataset", "small", "--epochs", "2", "--name", "pair",
                     "--home", str(home), "--json")
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout)  # one JSON object: process 1 prints nothing
    assert result["run"] == "pair" and result["processes"] == 2
    assert set(result["metrics"]) == {"dev", "test"}
    assert done.stderr.count("epoch 2/2") == 1  # progress from process 0 only
    run = _run(home, "pair")
    assert run["status"] == "completed" and "2 processes under torchrun" in run["message"]
    assert json.loads(run["config"])["processes"] == 2
    counts = row_counts(home)
    assert counts["predictions"] == 2 * counts["samples"] and counts["model_runs"] == 1
    # the checkpoint process 0 saved is the run's: evaluating it repeats the test scores
    code, evaluated, err = amm_json(capsys, "evaluate", "--run", "pair", "--home", str(home))
    assert code == 0, err
    for task in ("depression", "emotion"):
        assert evaluated["metrics"][task]["micro_f1"] == result["metrics"]["test"][task]["micro_f1"]


def test_a_refused_run_stops_every_process(home: Path) -> None:
    """Process 0 refuses (the name is taken); process 1 must stop too, not wait for it."""
    _torchrun("train", "--dataset", "small", "--epochs", "1", "--name", "taken",
              "--home", str(home))
    again = _torchrun("train", "--dataset", "small", "--epochs", "1", "--name", "taken",
                      "--home", str(home), "--json")
    assert again.returncode != 0 and again.stdout == ""
    assert "amm: error: run 'taken' already exists; choose another --name" in again.stderr
    assert "amm: error: [process 1] process 0 stopped" in again.stderr
    assert _run(home, "taken")["status"] == "completed"  # the first run is untouched


def test_other_commands_refuse_to_run_under_torchrun(home: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "0")
    assert main(["evaluate", "--run", "pair", "--home", str(home)]) == 2
    assert "only `amm train` runs under torchrun (WORLD_SIZE=2)" in capsys.readouterr().err
    monkeypatch.setenv("RANK", "5")
    assert main(["train", "--dataset", "small", "--home", str(home)]) == 2
    assert "RANK=5 WORLD_SIZE=2" in capsys.readouterr().err
