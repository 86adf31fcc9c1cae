"""The Error analysis and Compare runs pages through AppTest, on a copy of the demo workspace
with two single-task runs added (the shared demo stays read-only)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from streamlit.testing.v1 import AppTest

from amm_core.analysis_compare import p_text
from amm_core.cli import main
from amm_core.cli.output import CommandError
from amm_core.cli.storage import open_workspace
from amm_core.workspace import Settings
from app import analysis_services as svc
from app.components.confusion import selected_cell

ROOT = Path(__file__).resolve().parents[2]
ERRORS = str(ROOT / "app" / "pages" / "errors.py")
COMPARE = str(ROOT / "app" / "pages" / "compare.py")
STL, GAP = "demo-stl", "demo-stl-gap"


@pytest.fixture(scope="module")
def analysis_home(demo_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """demo + `demo-stl` (emotion, 1 epoch) + `demo-stl-gap` (the same, dev predictions lost)."""
    home = tmp_path_factory.mktemp("analysis") / "home"
    shutil.copytree(demo_home, home)
    for name in (STL, GAP):
        assert main(["train", "--dataset", "demo-mgid", "--variant", "stl", "--task", "emotion",
                     "--epochs", "1", "--name", name, "--home", str(home)]) == 0
    engine = create_engine(f"sqlite:///{home / 'amm.db'}")
    with engine.begin() as conn:
        conn.execute(text(
            "DELETE FROM predictions WHERE run_id = (SELECT id FROM model_runs WHERE name = :r) "
            "AND sample_id IN (SELECT id FROM samples WHERE split = 'dev')"), {"r": GAP})
    engine.dispose()
    return home


@pytest.fixture
def env(analysis_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("AMM_HOME", str(analysis_home))
    monkeypatch.delenv("AMM_DATABASE_URL", raising=False)
    # the Explain page may not be registered yet; the hand-off state is what is checked here
    monkeypatch.setattr("app.handoff.find_page", lambda url_path: None)
    return analysis_home


def workspace(home: Path):
    return open_workspace(Settings.resolve(str(home)))


def errors_page(run: str = "demo-amm", task: str = "emotion") -> AppTest:
    at = AppTest.from_file(ERRORS, default_timeout=120).run()
    at.selectbox(key="err_run").select(run).run()
    at.selectbox(key="err_task").select(task).run()
    assert not at.exception, at.exception
    return at


def case_count(at: AppTest) -> int:
    line = next(c.value for c in at.caption if "case(s) match" in c.value)
    return int(line.split()[0])


def frame_with(at: AppTest, column: str):
    """The table on the page that has this column (AppTest gives dataframes no key)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def test_error_analysis_shows_metrics_figures_cases_and_slices(env):
    at = errors_page()
    assert [m.label for m in at.metric] == ["Labelled cases", "Accuracy", "Macro F1", "ECE"]
    assert len(at.get("plotly_chart")) == 2  # confusion matrix + reliability diagram
    analysis = svc.error_analysis(workspace(env), "demo-amm", "emotion", "test")
    assert at.metric[0].value == str(analysis.metrics["n"])
    assert case_count(at) == len(analysis.cases.cases)
    slices = frame_with(at, "slice")
    assert {"gender", "has image", "caption length", "split"} <= set(slices["slice"])


def test_picking_a_confusion_cell_lists_exactly_its_cases(env):
    at = errors_page()
    analysis = svc.error_analysis(workspace(env), "demo-amm", "emotion", "test")
    labels = analysis.cases.labels
    # the largest off-diagonal cell: the most common mistake
    i, j = max(((i, j) for i in range(len(labels)) for j in range(len(labels)) if i != j),
               key=lambda c: analysis.confusion[c[0]][c[1]])
    at.selectbox(key="err_cell").select(f"{labels[i]} → {labels[j]}").run()
    assert not at.exception
    assert at.multiselect(key="err_true").value == [labels[i]]
    assert at.multiselect(key="err_pred").value == [labels[j]]
    assert case_count(at) == analysis.confusion[i][j] > 0
    headlines = [m.value for m in at.markdown if "predicted" in m.value]
    assert headlines and all(f"true **{labels[i]}**" in h for h in headlines)


def test_confidence_and_error_filters_narrow_the_cases(env):
    at = errors_page()
    analysis = svc.error_analysis(workspace(env), "demo-amm", "emotion", "test")
    cases = analysis.cases.cases
    at.checkbox(key="err_only_errors").check().run()
    assert case_count(at) == sum(c.correct is False for c in cases)
    at.slider(key="err_conf").set_value((0.5, 1.0)).run()
    assert case_count(at) == sum(c.correct is False and c.confidence >= 0.5 for c in cases)
    assert not at.exception


def test_explain_hands_the_case_to_the_explain_page(env):
    at = errors_page()
    button = next(b for b in at.button if (b.key or "").startswith("err_explain_"))
    sample_id = int(button.key.rsplit("_", 1)[1])
    button.click().run()
    assert not at.exception
    assert at.session_state["explain_target"] == {"kind": "sample", "sample_id": sample_id}
    assert at.session_state["explain_run"] == "demo-amm"


def test_daic_run_offers_the_session_slice_and_not_its_untrained_emotion_head(env):
    at = errors_page("demo-amm-daic", "depression")
    assert at.multiselect(key="err_session").options  # DAIC sessions to filter by
    assert "DAIC session" in set(frame_with(at, "slice")["slice"])
    # The demo has no gold emotion label: the emotion head never learned, so it is not offered.
    assert at.selectbox(key="err_task").options == ["depression"]


def test_selected_cell_reads_a_plotly_click():
    event = {"selection": {"points": [{"x": "fear", "y": "neutral", "curve_number": 1}]}}
    assert selected_cell(event) == ("neutral", "fear")
    assert selected_cell({"selection": {"points": []}}) is None
    assert selected_cell(None) is None


def test_services_refuse_a_task_the_run_did_not_learn(env):
    with pytest.raises(CommandError, match="did not learn the depression task"):
        svc.error_analysis(workspace(env), STL, "depression", "test")
    with pytest.raises(CommandError, match="different datasets"):
        svc.compare_runs(workspace(env), "demo-amm", "demo-amm-daic", "depression", "test")


def compare_page(run_a: str, run_b: str, split: str = "test") -> AppTest:
    at = AppTest.from_file(COMPARE, default_timeout=120).run()
    at.selectbox(key="cmp_a").select(run_a).run()
    at.selectbox(key="cmp_b").select(run_b).run()
    at.selectbox(key="cmp_split").select(split).run()
    return at


def test_compare_shows_flips_both_ways_and_mcnemar(env):
    at = compare_page("demo-amm", STL)
    assert not at.exception and not at.error
    assert at.selectbox(key="cmp_task").options == ["emotion"]  # the only shared task
    result = svc.compare_runs(workspace(env), "demo-amm", STL, "emotion", "test")
    heads = [h.value for h in at.subheader]
    assert f"A right, B wrong ({len(result.flips['a_right_b_wrong'])})" in heads
    assert f"B right, A wrong ({len(result.flips['b_right_a_wrong'])})" in heads
    assert at.metric[3].label == "McNemar p-value"
    assert at.metric[3].value == p_text(result.mcnemar["p_value"])
    assert any(result.mcnemar["method"] in c.value for c in at.caption)
    assert len(frame_with(at, "accuracy A−B")) > 0
    explain = next((b for b in at.button if (b.key or "").startswith("cmp_")
                    and "_explain_b_" in b.key), None)
    if explain is not None:  # a flip exists: explain it with run B
        explain.click().run()
        assert at.session_state["explain_run"] == STL


def test_compare_refuses_runs_that_cover_different_samples(env):
    at = compare_page(STL, GAP, split=svc.ALL_SPLITS)
    assert not at.exception
    assert at.error and "different samples" in at.error[0].value
    # the remedy is one that works here: the splits both runs cover in full (GAP lost its dev
    # predictions), or training the run that lacks some again; `amm predict` stores nothing
    message = at.error[0].value
    assert "pick a split they both cover in full (test or train)" in message
    assert f"train '{GAP}' again" in message and "amm predict" not in message
    at.selectbox(key="cmp_split").select("test").run()  # following it works
    assert not at.exception and not at.error
