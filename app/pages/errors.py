"""Error analysis: a run's confusion matrix (click a cell to list its cases), a case browser with
filters, calibration, per-slice metrics and, on DAIC, the per-session results."""

import streamlit as st

from amm_core.cli.output import CommandError
from app import analysis_services as svc
from app import deps
from app.components.calibration import reliability_figure
from app.components.cases import case_card
from app.components.confusion import confusion_figure, selected_cell

PER_PAGE = 10
ANY_CELL = "any cell"
CELL_KEYS = ("err_cell", "err_true", "err_pred", "err_page")


def cell_name(true: str, predicted: str) -> str:
    return f"{true} → {predicted}"


def reset_cell() -> None:
    for key in CELL_KEYS:
        st.session_state.pop(key, None)


def reset_run() -> None:
    reset_cell()
    for key in ("err_task", "err_split"):
        st.session_state.pop(key, None)


def pick_cell(true: str | None, predicted: str | None) -> None:
    st.session_state["err_true"] = [true] if true else []
    st.session_state["err_pred"] = [predicted] if predicted else []
    st.session_state["err_cell"] = cell_name(true, predicted) if true else ANY_CELL
    st.session_state["err_page"] = 1


def on_chart_select() -> None:
    cell = selected_cell(st.session_state.get("err_confusion"))
    if cell is not None:
        pick_cell(*cell)


def show_sessions(analysis: svc.ErrorAnalysis) -> None:
    """DAIC: the per-session scores `amm evaluate` gives, their confusion matrix and the
    misclassified sessions."""
    scores = analysis.per_session
    st.subheader("Per session", anchor=False)
    st.caption("Each session's prediction is the argmax of its utterances' mean probabilities; "
               "its intervals resample sessions.")
    row = st.columns(4)
    row[0].metric("Labelled sessions", scores["n"])
    for column, (name, title) in zip(row[1:], (("accuracy", "Session accuracy"),
                                               ("macro_f1", "Session macro F1"),
                                               ("micro_f1", "Session micro F1")), strict=True):
        column.metric(title, "—" if scores[name] is None else f"{scores[name]:.3f}")
    matrix, wrong = st.columns(2)
    with matrix:
        st.plotly_chart(confusion_figure(analysis.cases.labels, scores["confusion"],
                                         title="Per-session confusion matrix"),
                        key="err_session_confusion")
    with wrong:
        rows = svc.session_rows(analysis.sessions)
        st.markdown(f"**Misclassified sessions** ({len(rows)} of {len(analysis.sessions)})")
        if rows:
            st.dataframe(rows, hide_index=True, key="err_sessions")
        else:
            st.caption("None.")


def on_cell_box() -> None:
    choice = st.session_state.get("err_cell", ANY_CELL)
    pick_cell(*(choice.split(" → ", 1) if choice != ANY_CELL else (None, None)))


workspace = deps.workspace()
st.title("Error analysis")
runs = svc.analysable_runs(workspace)
if not runs:
    st.info("No run has predictions yet. Train one on the Runs page or with `amm train`.")
    st.stop()
by_name = {r.run: r for r in runs}
top = st.columns(3)
run = top[0].selectbox("Run", list(by_name), format_func=lambda n: by_name[n].title,
                       key="err_run", on_change=reset_run)
choice = by_name[run]
task = top[1].selectbox("Task", choice.tasks, key="err_task", on_change=reset_cell)
splits = [*choice.splits, svc.ALL_SPLITS]
split = top[2].selectbox("Split", splits, key="err_split", on_change=reset_cell,
                         index=splits.index("test") if "test" in splits else 0)
try:
    analysis = svc.error_analysis(workspace, run, task, split)
except CommandError as exc:
    st.error(str(exc))
    st.stop()
labels, metrics = analysis.cases.labels, analysis.metrics
if metrics["n"] == 0:
    st.info(f"No case in this split has a true {task} label yet, so nothing can be scored "
            f"(DAIC emotion labels come from the Annotation page).")
if split in ("train", svc.ALL_SPLITS):
    st.caption("These include cases the run trained on: errors there are optimistic.")

figures = st.columns(4)
figures[0].metric("Labelled cases", metrics["n"])
figures[1].metric("Accuracy", "—" if metrics["accuracy"] is None else f"{metrics['accuracy']:.3f}")
figures[2].metric("Macro F1", "—" if metrics["macro_f1"] is None else f"{metrics['macro_f1']:.3f}")
ece = analysis.calibration["ece"]
figures[3].metric("ECE", "—" if ece is None else f"{ece:.3f}")

matrix_col, calib_col = st.columns(2)
with matrix_col:
    st.caption("Click a cell to list its cases (or pick it under Cases).")
    st.plotly_chart(confusion_figure(labels, analysis.confusion), key="err_confusion",
                    on_select=on_chart_select, selection_mode="points")
with calib_col:
    st.plotly_chart(reliability_figure(analysis.calibration), key="err_calibration")
if analysis.per_session:
    show_sessions(analysis)

st.subheader("Cases", anchor=False)
cells = [ANY_CELL] + [cell_name(t, p) for t in labels for p in labels]
st.selectbox("Confusion cell (true → predicted)", cells, key="err_cell", on_change=on_cell_box)
cases = analysis.cases
options = svc.slice_options(cases)
with st.expander("Filters", expanded=False):
    row = st.columns(3)
    true = row[0].multiselect("True class", labels, key="err_true")
    predicted = row[1].multiselect("Predicted class", labels, key="err_pred")
    confidence = row[2].slider("Confidence", 0.0, 1.0, (0.0, 1.0), step=0.05, key="err_conf")
    row = st.columns(len(options) + 1)
    picked = {name: row[i].multiselect(svc.slice_title(name).capitalize(), values,
                                       key=f"err_{name}")
              for i, (name, values) in enumerate(options.items())}
    chosen_splits = row[-1].multiselect("Split", sorted({c.split for c in cases.cases}),
                                        key="err_splits")
    only_errors = st.checkbox("Only misclassified", key="err_only_errors")
shown = svc.filter_cases(cases.cases, svc.CaseFilter(
    true=true, predicted=predicted, confidence=confidence, only_errors=only_errors,
    splits=chosen_splits, **picked))
pages = max(1, -(-len(shown) // PER_PAGE))
if st.session_state.get("err_page", 1) > pages:
    st.session_state["err_page"] = pages
page = st.number_input("Page", 1, pages, key="err_page") if pages > 1 else 1
st.caption(f"{len(shown)} case(s) match, most confident first.")
for case in shown[(page - 1) * PER_PAGE: page * PER_PAGE]:
    case_card(run, case, labels, key_prefix="err")

st.subheader("Per-slice metrics", anchor=False)
st.dataframe(svc.slice_rows(analysis.slices), hide_index=True, key="err_slices")
