"""DAIC runs on the Error analysis and Compare runs pages and in `amm report`: the per-session
results (MODEL.md section 7), per-slice intervals that resample sessions as the headline does,
and McNemar's row test labelled utterance-level beside a per-session one."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from amm_core.cli import main
from amm_core.cli.storage import open_workspace
from amm_core.workspace import Settings
from app import analysis_services as svc

ROOT = Path(__file__).resolve().parents[2]
ERRORS = str(ROOT / "app" / "pages" / "errors.py")
COMPARE = str(ROOT / "app" / "pages" / "compare.py")
RUN, STL = "demo-amm-daic", "daic-stl"


@pytest.fixture(scope="module")
def daic_home(demo_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """demo + `daic-stl` (single-task depression on demo-daic, 1 epoch)."""
    home = tmp_path_factory.mktemp("sessions") / "home"
    shutil.copytree(demo_home, home)
    assert main(["train", "--dataset", "demo-daic", "--variant", "stl", "--task", "depression",
                 "--epochs", "1", "--name", STL, "--home", str(home)]) == 0
    return home


@pytest.fixture
def env(daic_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("AMM_HOME", str(daic_home))
    monkeypatch.delenv("AMM_DATABASE_URL", raising=False)
    return daic_home


def _analysis(home: Path) -> svc.ErrorAnalysis:
    return svc.error_analysis(open_workspace(Settings.resolve(str(home))), RUN, "depression",
                              "test")


def test_errors_page_shows_the_per_session_results(env):
    at = AppTest.from_file(ERRORS, default_timeout=120).run()
    at.selectbox(key="err_run").select(RUN).run()
    at.selectbox(key="err_task").select("depression").run()
    assert not at.exception
    scores = _analysis(env).metrics["per_session"]
    assert "Per session" in [h.value for h in at.subheader]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Labelled sessions"] == str(scores["n"]) and scores["n"] >= 2
    assert metrics["Session accuracy"] == f"{scores['accuracy']:.3f}"
    assert len(at.get("plotly_chart")) == 3  # + the per-session confusion matrix
    wrong = sum(scores["confusion"][i][j] for i in range(2) for j in range(2) if i != j)
    assert any(f"**Misclassified sessions** ({wrong} of {scores['n']})" in m.value
               for m in at.markdown)


def test_mgid_errors_page_has_no_session_section(env):
    at = AppTest.from_file(ERRORS, default_timeout=120).run()
    at.selectbox(key="err_run").select("demo-amm").run()
    assert not at.exception and "Per session" not in [h.value for h in at.subheader]


def test_report_html_and_json_carry_the_per_session_results(env, tmp_path):
    out = tmp_path / "report"
    assert main(["report", "--run", RUN, "--task", "depression", "--out", str(out),
                 "--home", str(env)]) == 0
    result = json.loads((out / "report.json").read_text())
    scores = result["metrics"]["depression"]["per_session"]
    sessions = result["sessions"]["depression"]
    assert len(sessions) == scores["n"] and {s["session"] for s in sessions} >= {"301", "370"}
    assert sum(not s["correct"] for s in sessions) == scores["n"] - round(
        scores["accuracy"] * scores["n"])
    page = (out / "index.html").read_text()
    assert "<h3>Per session</h3>" in page and f"{scores['n']} labelled sessions" in page
    assert "Misclassified sessions (" in page


def test_compared_daic_runs_resample_sessions_per_slice_and_label_mcnemar(env, tmp_path):
    out = tmp_path / "compare"
    assert main(["report", "--run", RUN, "--compare", STL, "--task", "depression", "--out",
                 str(out), "--home", str(env)]) == 0
    result = json.loads((out / "report.json").read_text())
    headline = result["deltas"]["depression"]["accuracy"]
    rows = {(r["slice"], r["value"]): r for r in result["slice_deltas"]["depression"]}
    # the "split = test" slice holds exactly the headline's cases: the same session-clustered
    # interval, not a row bootstrap of the same cases
    assert rows[("split", "test")]["accuracy"]["interval"] == headline["interval"]
    # a slice inside one session has nothing to resample
    assert all(r["accuracy"]["interval"] is None for key, r in rows.items()
               if key[0] == "DAIC session")
    assert result["mcnemar"]["depression"]["unit"] == "utterance"
    per_session = result["session_mcnemar"]["depression"]
    assert per_session["n"] == result["metrics"]["depression"]["per_session"]["n"]
    page = (out / "index.html").read_text()
    assert "Utterance-level McNemar's test" in page and "assumes the utterances are " \
        "independent" in page and "Session-level McNemar's test" in page


def test_compare_page_labels_mcnemar_utterance_level_on_daic(env):
    at = AppTest.from_file(COMPARE, default_timeout=120).run()
    at.selectbox(key="cmp_a").select(RUN).run()
    at.selectbox(key="cmp_b").select(STL).run()
    at.selectbox(key="cmp_task").select("depression").run()
    at.selectbox(key="cmp_split").select("test").run()
    assert not at.exception and not at.error
    assert at.metric[3].label == "McNemar p-value (utterance-level)"
    caption = next(c.value for c in at.caption if "McNemar" in c.value)
    assert "assumes the utterances are independent" in caption and "sessions" in caption
    deltas = next(d.value for d in at.dataframe if "accuracy A−B" in d.value.columns)
    values = [v for v in deltas["accuracy A−B"] if v is not None]
    assert all(round(v, 3) == v for v in values)  # shown rounded, not as raw floats
