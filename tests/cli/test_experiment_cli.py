"""`amm experiment --suite paper` trains the Tables III-V grid and writes Markdown + CSV."""

from __future__ import annotations

import csv
import shutil

import pytest

from amm_core.experiment import PAPER_SUITE, suite_runs
from tests.cli.helpers import amm_json

pytestmark = pytest.mark.slow


def test_paper_suite_report(trained_home, tmp_path, capsys):
    home = tmp_path / "home"
    shutil.copytree(trained_home["home"], home)  # features already cached
    out_dir = tmp_path / "report"
    code, out, err = amm_json(capsys, "experiment", "--dataset", "small", "--suite", "paper",
                              "--epochs", "1", "--out", str(out_dir), "--home", str(home))
    assert code == 0, err
    assert out["runs"] == len(suite_runs()) == 9
    assert len(out["rows"]) == len(PAPER_SUITE)
    rows = list(csv.DictReader((out_dir / "report.csv").open(encoding="utf-8")))
    assert len(rows) == len(PAPER_SUITE)
    assert all(r["micro_f1"] for r in rows)  # every row has our figure
    text = (out_dir / "report.md").read_text(encoding="utf-8")
    assert "## Table III: modalities" in text and "| Text-AMM | depression |" in text
    assert "74.1" in text and "72.1" in text and "64.6" in text  # the paper's MGID figures
    # A second call reuses the completed runs instead of training them again.
    code, again, _ = amm_json(capsys, "experiment", "--dataset", "small", "--suite", "paper",
                              "--out", str(out_dir), "--home", str(home))
    assert code == 0 and again["rows"] == out["rows"]
