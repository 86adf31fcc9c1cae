"""Annotation: label DAIC utterances (or MGID posts) one at a time, in the queue's order.

The item on screen stays until the user acts on it (label, unsure, skip, undo) or changes the
sidebar's settings: Streamlit reruns the script on every widget change (typing a note, too), and
the queue may pick another item by then (a colleague's label moves it). The buttons act through
callbacks bound to the item that was shown."""

import streamlit as st

from app import annotation_services as svc
from app import auth, deps, services
from app.components.face_timeline import face_timeline_figure

workspace = deps.workspace()
state = st.session_state
state.setdefault("ann_skipped", set())
state.setdefault("ann_last", None)
state.setdefault("ann_return", None)  # the item whose label was just undone: shown again next
state.setdefault("ann_pin", None)  # (settings, choice): the item on screen until an action

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
who = name.strip()
try:
    stored_role = svc.ensure_annotator(workspace, who, role)
except ValueError as exc:  # e.g. a name over 100 characters
    st.error(str(exc))
    st.stop()
if role == "adjudicator" and stored_role not in ("adjudicator", "admin"):
    st.warning(f"Adjudication needs the adjudicator role, which an admin grants; '{who}' is "
               f"{stored_role}, so this queue is the annotator's.")
    role = "annotator"
labels = svc.label_set(workspace, dataset)
settings = (who, role, dataset, int(overlap), guide)
pinned = state.ann_pin[1] if state.ann_pin and state.ann_pin[0] == settings else None
view = svc.next_view(workspace, dataset, who, role, last_sample=state.ann_last,
                     skipped=state.ann_skipped, overlap=int(overlap),
                     uncertainty_run=None if guide == "(off)" else guide,
                     returning=state.ann_return, current=pinned)
state.ann_pin = (settings, view.choice) if view else None
done = svc.progress(workspace, dataset, who)
st.progress(done["mine"] / max(done["total"], 1),
            text=f"You: {done['mine']} of {done['total']} · labelled by anyone: {done['any']}")

if view is None:
    if state.ann_skipped:
        st.info(f"Nothing left in your queue but the {len(state.ann_skipped)} item(s) you "
                "skipped or were unsure about.")
        if st.button("Show my skipped items again", key="ann_unskip"):
            state.ann_skipped = set()
            st.rerun()
    else:
        st.success("Nothing left in your queue. Thank you!")
    st.stop()


def _give(sample_id: int, label: str, note_key: str, votes: dict[str, str] | None) -> None:
    """A label button's action, bound to the item that was on screen when it was clicked."""
    note = state.get(note_key) or None
    if votes is None:
        svc.give_label(workspace, sample_id, who, label, note)
    else:
        svc.adjudicate(workspace, sample_id, label, who, votes, note)
    state.ann_last, state.ann_return, state.ann_pin = sample_id, None, None


def _set_aside(sample_id: int, move_on: bool) -> None:
    """Unsure (`move_on` False: the session order stays) or Skip."""
    state.ann_skipped = state.ann_skipped | {sample_id}
    state.ann_return, state.ann_pin = None, None
    if move_on:
        state.ann_last = sample_id


def _undo() -> None:
    touched = svc.undo_last(workspace, who, dataset)
    state.ann_return, state.ann_pin = touched, None
    st.toast(f"Undone: your last label on {dataset}" if touched else
             f"Nothing of yours to undo on {dataset}")


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

if view.votes is not None:
    st.info("Adjudication: your choice becomes this item's gold label (it is not another vote). "
            "Votes: " + ", ".join(f"{n}: {lab}" for n, lab in sorted(view.votes.items())))
note_key = f"ann_note_{view.sample_id}"
st.text_input("Note (optional)", key=note_key)
columns = st.columns(len(labels) + 3)
for column, label in zip(columns, labels, strict=False):
    shortcut = label[0] if label[0] not in "ux" else None
    column.button(label.capitalize(), key=f"ann_label_{label}", type="primary", shortcut=shortcut,
                  on_click=_give, args=(view.sample_id, label, note_key, view.votes))
columns[-3].button("Unsure", key="ann_unsure", shortcut="u", on_click=_set_aside,
                   args=(view.sample_id, False),
                   help="Not sure: leave it unlabelled for now (it returns in a new session).")
columns[-2].button("Skip", key="ann_skip", shortcut="k", on_click=_set_aside,
                   args=(view.sample_id, True))
columns[-1].button("Undo", key="ann_undo", shortcut="z", on_click=_undo,
                   help="Undo your latest label on this dataset.")
st.caption("Shortcuts: first letter of each label, U unsure, K skip, Z undo.")

if not blind:
    others = svc.others_labels(workspace, view.sample_id, who)
    st.caption(f"Other annotators: {others or 'none yet'}")

frames = svc.face_timeline(view)
if not frames.empty:
    st.plotly_chart(face_timeline_figure(frames), key="ann_face")
with st.expander("History of this item" + (" (yours only: blind mode)" if blind else "")):
    st.dataframe(svc.history(workspace, view.sample_id, only=who if blind else None),
                 hide_index=True, key="ann_history")
