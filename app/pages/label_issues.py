"""Label issues: samples whose given label a run confidently contradicts (confident learning),
shown with their text and media, and sent back to the annotation queue with a reason (emotion
issues only: the queue labels emotion; depression labels are fixed in the corpus). Signed in,
requests carry the login identity, as on the Annotation page."""

import streamlit as st

from app import auth, deps
from app import label_issue_services as svc

SPLIT_LABELS = {None: "automatic (held-out when possible)", "held-out": "held-out (not trained on)",
                "dev": "dev", "test": "test", "train": "train (in-sample)"}
CARDS = 8  # issues shown as cards with their media; the rest are in the table

workspace = deps.workspace()
st.title("Label issues")
st.caption("Per class, the threshold is the mean probability the run gives samples of that "
           "class; a sample is listed when its given label is below its class's threshold and "
           "another class is above its own. Most confident contradictions first.")

with st.sidebar:
    requester = auth.identity() or st.text_input(
        "Your name", key="li_name", placeholder="needed to send items to re-labelling")

runs = svc.issue_runs(workspace)
if not runs:
    st.info("No finished run with predictions yet: train one on the Runs page or with "
            "`amm train --dataset NAME`.")
    st.stop()

left, middle, right = st.columns([2, 1, 1])
run = left.selectbox("Run", runs, key="li_run")
tasks = svc.run_tasks(workspace, run)
task = middle.selectbox("Task", tasks, key="li_task")
split = right.selectbox("Predictions on", list(SPLIT_LABELS), key="li_split",
                        format_func=SPLIT_LABELS.get)
limit = st.slider("Show at most", 5, 500, 100, step=5, key="li_limit")
try:
    report = svc.label_issues(workspace, run, task, split, limit=limit)
except ValueError as exc:
    st.error(str(exc), icon=":material/error:")
    st.stop()

st.caption(f"Split used: **{SPLIT_LABELS[report.splits]}** — {report.note}. "
           f"{report.checked} labelled samples checked, {len(report.rows)} issues listed.")
if not report.checked:
    st.info(f"No sample with a given {task} label on this split, so nothing to check. "
            "(DAIC emotion labels come from annotation: label some on the Annotation page.)")
    st.stop()
if report.in_sample:
    st.warning("These predictions are in-sample (the run trained on them).", icon="⚠️")
if not report.rows:
    st.success("No sample's label is confidently contradicted by this run.")
    st.stop()

for row in report.rows[:CARDS]:
    with st.container(border=True):
        media, body = st.columns([1, 4])
        picture = svc.card_image(workspace, row)
        if picture is not None:
            media.image(str(picture), width=120)
        else:
            media.caption(svc.media_note(row))
        body.markdown(f"**{row['external_id']}** ({row['split']}) · given **{row['given']}** "
                      f"→ suggested **{row['suggested']}** (p = {row['confidence']:.2f}; "
                      f"given label p = {row['given_probability']:.2f})")
        body.caption(row["text"][:300] or "(no text)")

columns = ["external_id", "split", "given", "suggested", "confidence", "given_probability",
           "margin", "re-label request", "text"]
st.dataframe([{k: r[k] for k in columns} for r in report.rows], hide_index=True,
             key="li_table",
             column_config={"confidence": st.column_config.NumberColumn(format="%.2f"),
                            "given_probability": st.column_config.NumberColumn(format="%.2f")})

st.subheader("Send to re-labelling", anchor=False)
if task not in svc.RELABEL_TASKS:
    st.info(svc.NOT_RELABELLED[0].upper() + svc.NOT_RELABELLED[1:] + ".",
            icon=":material/info:")
    st.stop()
by_id = {r["sample_id"]: r for r in report.rows}
chosen = st.multiselect(
    "Samples", list(by_id), key="li_chosen",
    format_func=lambda sid: f"{by_id[sid]['external_id']}: {by_id[sid]['given']} → "
                            f"{by_id[sid]['suggested']}")
reason = st.text_input("Reason (shown to the annotator)", key="li_reason",
                       value="the model confidently disagrees with the given label")
if st.button("Send to re-labelling", key="li_send", type="primary"):
    try:
        created = svc.send_to_relabel(workspace, run, chosen, reason, requester, task)
    except ValueError as exc:
        st.error(str(exc), icon=":material/error:")
    else:
        skipped = len(chosen) - created
        st.success(f"{created} sent to the annotation queue" +
                   (f"; {skipped} already had an open request" if skipped else "") +
                   ". Annotators get them first, with your reason.")
