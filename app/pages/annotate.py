"""Annotation: label DAIC utterances (or MGID posts) one at a time, in the queue's order."""

import streamlit as st

from app import annotation_services as svc
from app import auth, deps, services
from app.components.face_timeline import face_timeline_figure

workspace = deps.workspace()
state = st.session_state
state.setdefault("ann_skipped", set())
state.setdefault("ann_last", None)

st.title("Annotation")
datasets = [o.name for o in services.dataset_overviews(workspace)]
if not datasets:
    st.info("Import a dataset first (`amm import daic --root DIR`).")
    st.stop()

with st.sidebar:
    known = svc.annotators(workspace)
    name = auth.identity() or st.text_input("Annotator name", key="ann_name",
                                            placeholder="your name (every label is attributed)")
    role = st.selectbox("Role", ["annotator", "adjudicator"], key="ann_role")
    daic_first = sorted(datasets, key=lambda d: "daic" not in d)
    dataset = st.selectbox("Dataset", daic_first, key="ann_dataset")
    overlap = st.number_input("Labels wanted per item", 1, 5, 2, key="ann_overlap")
    blind = st.toggle("Blind mode", value=True, key="ann_blind",
                      help="Hide other annotators' labels and model suggestions.")
    runs = svc.dataset_runs(workspace, dataset)
    guide = st.selectbox("Most uncertain first, by run", ["(off)", *runs], key="ann_run",
                         help="Active learning: items this run is least sure about come first.")
    if known:
        st.caption("Annotators: " + ", ".join(n for n, _ in known))

if not name.strip():
    st.info("Enter your name in the sidebar to start labelling.")
    st.stop()
try:
    svc.ensure_annotator(workspace, name.strip(), role)
except ValueError as exc:  # e.g. a name over 100 characters
    st.error(str(exc))
    st.stop()
labels = svc.label_set(workspace, dataset)
view = svc.next_view(workspace, dataset, name.strip(), role, last_sample=state.ann_last,
                     skipped=state.ann_skipped, overlap=int(overlap),
                     uncertainty_run=None if guide == "(off)" else guide)
done = svc.progress(workspace, dataset, name.strip())
st.progress(done["mine"] / max(done["total"], 1),
            text=f"You: {done['mine']} of {done['total']} · labelled by anyone: {done['any']}")

if view is None:
    st.success("Nothing left in your queue. Thank you!")
    st.stop()

st.caption(f"Why this item: {view.reason}")
where = f"session {view.session_id}" if view.session_id else view.external_id
if view.start_time is not None:
    where += f" · {view.start_time:.2f}–{view.stop_time:.2f} s"
st.caption(where)
if view.context:
    st.markdown(f"**Interviewer:** {view.context}")
for line in view.before:
    st.caption(f"… {line}")
st.subheader(view.text, anchor=False)
for line in view.after:
    st.caption(f"{line} …")

if view.media_kind == "image" and view.media_path:
    st.image(view.media_path, width=480)
audio = svc.audio_clip(view) if view.meta.get("has_audio") else None
if audio:
    st.audio(audio, format="audio/wav")

note = st.text_input("Note (optional)", key=f"ann_note_{view.sample_id}")
columns = st.columns(len(labels) + 3)
for column, label in zip(columns, labels, strict=False):
    shortcut = label[0] if label[0] not in "ux" else None
    if column.button(label.capitalize(), key=f"ann_label_{label}", type="primary",
                     shortcut=shortcut):
        svc.give_label(workspace, view.sample_id, name.strip(), label, note)
        state.ann_last = view.sample_id
        st.rerun()
if columns[-3].button("Unsure", key="ann_unsure", shortcut="u",
                      help="Not sure: leave it unlabelled for now (it returns in a new session)."):
    state.ann_skipped = state.ann_skipped | {view.sample_id}
    st.rerun()
if columns[-2].button("Skip", key="ann_skip", shortcut="k"):
    state.ann_skipped = state.ann_skipped | {view.sample_id}
    state.ann_last = view.sample_id
    st.rerun()
if columns[-1].button("Undo", key="ann_undo", shortcut="z"):
    touched = svc.undo_last(workspace, name.strip())
    st.toast("Undone" if touched else "Nothing to undo")
    st.rerun()
st.caption("Shortcuts: first letter of each label, U unsure, K skip, Z undo.")

if not blind:
    others = svc.others_labels(workspace, view.sample_id, name.strip())
    st.caption(f"Other annotators: {others or 'none yet'}")

frames = svc.face_timeline(view)
if not frames.empty:
    st.plotly_chart(face_timeline_figure(frames), key="ann_face")
with st.expander("History of this item"):
    st.dataframe(svc.history(workspace, view.sample_id), hide_index=True, key="ann_history")
