"""`amm report` end to end: the HTML report and its JSON for one run and for two runs compared,
and bad requests that fail with one line and write nothing."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from amm_core.cli import main
from amm_core.data.demo_mgid import write_mgid_demo
from tests.cli.conftest import RUN
from tests.cli.helpers import amm_json, amm_subprocess, row_counts

STL = "small-stl"


@pytest.fixture(scope="module")
def report_home(trained_home: dict, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the trained workspace (the shared one stays as it is) with a 1-epoch
    single-task emotion run on the same dataset, and a run on another dataset."""
    root = tmp_path_factory.mktemp("report")
    home = root / "home"
    shutil.copytree(trained_home["home"], home)
    assert main(["train", "--dataset", "small", "--variant", "stl", "--task", "emotion",
                 "--epochs", "1", "--name", STL, "--home", str(home)]) == 0
    write_mgid_demo(root / "other", root / "other-images", seed=5, n_posts=12)
    assert main(["import", "mgid", "--csv-dir", str(root / "other"), "--images",
                 str(root / "other-images"), "--name", "other", "--home", str(home)]) == 0
    assert main(["train", "--dataset", "other", "--epochs", "1", "--name", "other-amm",
                 "--home", str(home)]) == 0
    return home


def test_report_of_one_run_matches_the_training_metrics(trained_home, report_home, tmp_path,
                                                         capsys):
    out = tmp_path / "report"
    code, result, err = amm_json(capsys, "report", "--run", RUN, "--out", str(out),
                                 "--home", str(report_home))
    assert code == 0, err
    assert {"metrics", "confusion"} <= set(result) and "flips" not in result
    trained = trained_home["train"]["metrics"]["test"]
    for task in ("depression", "emotion"):
        assert result["confusion"][task]["matrix"] == trained[task]["confusion"]
        assert result["metrics"][task]["micro_f1"] == trained[task]["micro_f1"]
        assert result["calibration"][task]["ece"] is not None
    page = (out / "index.html").read_text()
    assert "Confusion matrix" in page and "Expected calibration error" in page
    assert "Misclassified cases" in page and "label issues" in page.lower()
    assert "data:image/jpeg;base64," in page  # thumbnails are embedded
    assert not re.search(r"""(src|href)=['"]https?:""", page)  # nothing fetched when opened
    assert (out / "report.json").is_file()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".report")]


def test_case_rows_give_one_row_per_sample_and_task(report_home):
    from amm_core.cli.analysis_data import case_rows
    from amm_core.cli.storage import open_workspace
    from amm_core.workspace import Settings

    workspace = open_workspace(Settings.resolve(str(report_home)))
    rows = case_rows(workspace, RUN, "test")
    per_task = {task: [r for r in rows if r["task"] == task] for task in ("depression", "emotion")}
    assert len(per_task["depression"]) == len(per_task["emotion"]) > 0
    for row in rows:
        assert row["split"] == "test" and row["predicted"] in row["probabilities"]
        assert row["confidence"] == max(row["probabilities"].values())
        assert row["correct"] == (row["true"] == row["predicted"])
        assert {"gender", "session", "has_image", "caption_length", "text",
                "media_path"} <= set(row)
    assert [r["task"] for r in case_rows(workspace, STL, "test")] == ["emotion"] * len(
        per_task["emotion"])


def test_report_compared_with_a_single_task_run(report_home, tmp_path, capsys):
    out = tmp_path / "compare"
    code, result, err = amm_json(capsys, "report", "--run", RUN, "--compare", STL, "--out",
                                 str(out), "--home", str(report_home))
    assert code == 0, err
    assert result["tasks"] == ["emotion"]  # the only task both runs learned
    assert {"metrics", "confusion", "flips", "mcnemar"} <= set(result)
    test = result["mcnemar"]["emotion"]
    flips = result["flips"]["emotion"]
    assert test["a_right_b_wrong"] == len(flips["a_right_b_wrong"])
    assert test["b_right_a_wrong"] == len(flips["b_right_a_wrong"])
    # accuracy A - B is exactly (A-only right - B-only right) / n
    acc_a = result["metrics"]["emotion"]["accuracy"]
    acc_b = result["compare_metrics"]["emotion"]["accuracy"]
    flip_delta = (test["a_right_b_wrong"] - test["b_right_a_wrong"]) / test["n"]
    assert acc_a - acc_b == pytest.approx(flip_delta, abs=1e-5)
    assert test["method"] in ("exact binomial", "chi-square with continuity correction")
    page = (out / "index.html").read_text()
    assert "McNemar" in page and f"{STL} right" in page


def test_report_replaces_an_earlier_report_through_the_console_script(report_home, tmp_path):
    out = tmp_path / "again"
    for _ in range(2):
        done = amm_subprocess("report", "--run", STL, "--out", str(out), "--home",
                              str(report_home))
        assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in out.iterdir()) == ["index.html", "report.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["again"]


def _delete_dev_predictions(home: Path, run: str) -> None:
    engine = create_engine(f"sqlite:///{home / 'amm.db'}")
    with engine.begin() as conn:
        conn.execute(text(
            "DELETE FROM predictions WHERE run_id = (SELECT id FROM model_runs WHERE name = :r) "
            "AND sample_id IN (SELECT id FROM samples WHERE split = 'dev')"), {"r": run})
    engine.dispose()


BAD_REQUESTS = [
    (["--run", RUN, "--compare", "other-amm"], "different datasets"),
    (["--run", STL, "--task", "depression"], "did not learn the depression task"),
    (["--run", RUN, "--compare", STL, "--task", "depression"], "did not learn"),
    (["--run", "nope"], "unknown run 'nope'"),
    (["--run", RUN, "--compare", RUN], "two different runs"),
    (["--run", "gap-stl", "--split", "dev"], "no emotion predictions for split 'dev'"),
    (["--run", RUN, "--compare", "gap-stl", "--split", "dev"], "no emotion predictions"),
]


@pytest.fixture(scope="module")
def gap_home(report_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """report_home plus `gap-stl`, a run whose dev predictions are missing."""
    home = tmp_path_factory.mktemp("gap") / "home"
    shutil.copytree(report_home, home)
    assert main(["train", "--dataset", "small", "--variant", "stl", "--task", "emotion",
                 "--epochs", "1", "--name", "gap-stl", "--home", str(home)]) == 0
    _delete_dev_predictions(home, "gap-stl")
    return home


@pytest.mark.parametrize(("args", "message"), BAD_REQUESTS)
def test_bad_requests_fail_with_one_line_and_write_nothing(gap_home, tmp_path, capsys, args,
                                                           message):
    before = row_counts(gap_home)
    out = tmp_path / "report"
    code, result, err = amm_json(capsys, "report", *args, "--out", str(out), "--home",
                                 str(gap_home))
    assert code != 0 and result is None
    assert message in err and len(err.strip().splitlines()) == 1
    assert not out.exists() and list(tmp_path.iterdir()) == []
    assert row_counts(gap_home) == before


def test_runs_on_different_samples_are_told_a_remedy_that_works(gap_home, tmp_path, capsys):
    args = ["report", "--run", STL, "--compare", "gap-stl", "--home", str(gap_home)]
    code, _, err = amm_json(capsys, *args, "--split", "all", "--out", str(tmp_path / "a"))
    errors = [line for line in err.splitlines() if line.startswith("amm: error:")]
    assert code != 0 and len(errors) == 1 and "different samples" in errors[0]
    assert "pick a split they both cover in full (test or train)" in err
    assert "train 'gap-stl' again" in err and "amm predict" not in err
    code, result, err = amm_json(capsys, *args, "--split", "test", "--out", str(tmp_path / "b"))
    assert code == 0, err  # following the remedy works


def test_the_html_lists_every_flip(report_home):
    """The Compare page shows a few flips and points at `amm report --compare` for all."""
    from amm_core.cli import report_html
    from amm_core.cli.analysis_data import load_run_cases
    from amm_core.cli.storage import open_workspace
    from amm_core.workspace import Settings

    cases = load_run_cases(open_workspace(Settings.resolve(str(report_home))), STL, "emotion",
                           None).cases
    pairs = [(case, case) for case in (cases * 3)[:45]]  # more than the old cap of 30
    page = report_html.flips_table(pairs, "A", "B")
    assert page.count("<tr>") == 1 + 45 and "more" not in page


def test_an_out_folder_with_other_content_is_left_alone(report_home, tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    code, _, err = amm_json(capsys, "report", "--run", RUN, "--out", str(out), "--home",
                            str(report_home))
    assert code != 0 and "not an earlier report" in err
    assert [p.name for p in out.iterdir()] == ["notes.txt"]


def test_a_failure_while_writing_leaves_nothing_partial(report_home, tmp_path, capsys,
                                                        monkeypatch):
    real_write = Path.write_text

    def write_then_fail(self: Path, data: str, *args, **kwargs):
        if self.name == "report.json":
            raise OSError(28, "No space left on device")
        return real_write(self, data, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", write_then_fail)
    out = tmp_path / "report"
    code, _, err = amm_json(capsys, "report", "--run", RUN, "--out", str(out), "--home",
                            str(report_home))
    assert code != 0 and "No space left" in err
    assert list(tmp_path.iterdir()) == []  # neither the report nor its staging folder
