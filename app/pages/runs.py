"""Runs: every model run with its metrics, training started here in the background with a live
progress bar and a cancel button, and the paper suite (Tables III-V) beside the paper's numbers."""

import streamlit as st

from app import deps
from app import paper_suite_services as suite
from app import run_services as svc

TASK_CHOICES = {"both (multi-task)": None, "depression": "depression", "emotion": "emotion"}
MODALITY_CHOICES = ["text+image", "text", "image"]
POLL_SECONDS = 2.0

workspace = deps.workspace()
st.title("Runs")

datasets = svc.dataset_names(workspace)
with st.expander("Start a training run", expanded=False, icon=":material/play_arrow:"):
    if not datasets:
        st.info("Import a dataset first (`amm import mgid --csv-dir DIR`).")
    else:
        left, middle, right = st.columns(3)
        dataset = left.selectbox("Dataset", datasets, key="runs_dataset")
        variant = middle.selectbox("Variant", svc.variants(), key="runs_variant")
        task = right.selectbox("Task", list(TASK_CHOICES), key="runs_task",
                               help="Single-task (stl) runs need one task.")
        modalities = left.selectbox("Modalities", MODALITY_CHOICES, key="runs_modalities")
        epochs = middle.number_input("Epochs", min_value=1, max_value=1000, value=None,
                                     key="runs_epochs", placeholder="Table II default")
        seed = right.number_input("Seed", min_value=0, max_value=svc.MAX_SEED, value=0, step=1,
                                  key="runs_seed")
        form = svc.TrainForm(dataset=dataset, name="", variant=variant, task=TASK_CHOICES[task],
                             modalities=modalities, epochs=None if epochs is None else int(epochs),
                             seed=int(seed))
        name = st.text_input("Run name", key="runs_name", placeholder=svc.suggested_name(form))
        form.name = name.strip() or svc.suggested_name(form)
        if st.button("Start training", key="runs_start", type="primary"):
            try:
                launch = svc.start_training(workspace, form)
            except ValueError as exc:
                st.error(str(exc), icon=":material/error:")
            else:
                st.success(f"Started '{launch.name}' (process {launch.pid}); output goes to "
                           f"`{launch.log}`.")

active = svc.active_runs(workspace)


@st.fragment(run_every=POLL_SECONDS if active else None)
def live_progress(shown: tuple[str, ...]) -> None:
    """Progress read from the database; a run that starts or ends refreshes the whole page."""
    now = svc.active_runs(workspace)
    if tuple(r["run"] for r in now) != shown:
        st.rerun()
    if "runs_notice" in st.session_state:
        st.toast(st.session_state.pop("runs_notice"))
    for run in now:
        bar, button = st.columns([5, 1], vertical_alignment="bottom")
        bar.progress(min(max(run["progress"], 0.0), 1.0),
                     text=f"**{run['run']}** · {run['status']} · {run['message']}")
        if button.button("Cancel", key=f"runs_cancel_{run['run']}",
                         disabled=run["status"] != "running",
                         help="Stops cleanly after the current epoch."):
            st.session_state["runs_notice"] = svc.request_cancel(workspace, run["run"])
            st.rerun()  # redraw with the run's new status


if active:
    st.subheader("In progress", anchor=False)
    live_progress(tuple(r["run"] for r in active))

st.subheader("All runs", anchor=False)
rows = svc.run_rows(workspace)
if rows:
    st.dataframe(rows, hide_index=True, key="runs_table",
                 column_config={"progress": st.column_config.ProgressColumn(
                     "progress", format="%d%%", min_value=0, max_value=100)})
else:
    st.info("No runs yet: start one above, or run `amm train --dataset NAME`.")

logs = svc.runs_with_logs(workspace)
if logs:
    with st.expander("Training output of runs started here"):
        chosen = st.selectbox("Run", logs, key="runs_log_run")
        st.code(svc.log_tail(workspace, chosen) or "(no output yet)", language=None)

st.subheader("Paper suite: Tables III, IV and V", anchor=False)
st.caption("Test-split micro- and macro-F1 (%), ours beside the paper's (Zhang et al., BIBM "
           "2021) where it states a figure.")
results = suite.suite_results(workspace)
if not results:
    st.info("No paper-suite results yet. Produce them with:")
    st.code(suite.suite_command(datasets[0] if datasets else "NAME"), language="bash")
for result in results:
    st.markdown(f"**{result.dataset}** · from {result.source}")
    if result.missing:
        st.caption("Not completed yet: " + ", ".join(result.missing) + " — run "
                   f"`{suite.suite_command(result.dataset)}` to finish the grid.")
    for index, (table, table_rows) in enumerate(result.tables.items()):
        st.markdown(f"Table {table}")
        st.dataframe(table_rows, hide_index=True, key=f"suite_{result.dataset}_{index}")
