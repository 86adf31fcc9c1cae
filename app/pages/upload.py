"""Upload & predict: score a text with an optional image or video with a chosen run, see both
tasks' probabilities, the device and the latency, hand the upload to Explain; history below."""

import streamlit as st

from amm_core.cli.output import CommandError
from amm_core.config import GENDER_WORDS
from app import deps, handoff
from app import upload_services as svc
from app.components.predictions import probability_bars

LAST = "upl_last"  # the latest prediction shown, kept across reruns (e.g. the Explain click)

workspace = deps.workspace()
st.title("Upload & predict")
choices = svc.run_choices(workspace)
if not choices:
    st.info("No trained run yet. Train one with `amm train --dataset NAME` (the demo trains "
            "`demo-amm`).")
    st.stop()

names = [c.name for c in choices]
first_with_pictures = next((i for i, c in enumerate(choices) if c.accepts_media), 0)
run_name = st.selectbox("Run", names, index=first_with_pictures, key="upl_run")
choice = choices[names.index(run_name)]
st.caption(choice.summary)

text = st.text_area("Text", key="upl_text", max_chars=svc.MAX_TEXT_CHARS,
                    disabled=not choice.uses_text, help=choice.text_reason,
                    placeholder="a post, a caption or an utterance")
if choice.text_reason:
    st.caption(f"Text disabled: {choice.text_reason}.")
media = st.file_uploader("Image or video (optional)", type=svc.MEDIA_TYPES, key="upl_file",
                         disabled=not choice.accepts_media, help=choice.media_reason)
if choice.media_reason:
    st.caption(f"Image / video disabled: {choice.media_reason}.")
gender = st.selectbox("Gender", GENDER_WORDS, index=GENDER_WORDS.index("unknown"),
                      key="upl_gender")
st.caption(svc.limits_note(st.get_option("server.maxUploadSize")))

if st.button("Predict", key="upl_predict", type="primary"):
    try:
        _, predictor = deps.predictor(run_name)
        with st.spinner("Predicting…"):
            # What is on the form goes as it is, as from `amm predict`: a file left attached
            # for a run that reads no pictures is refused in one line, not silently dropped,
            # and text given to an image-only run comes back with a note that it was ignored.
            stored = svc.predict_upload(
                workspace, run_name, predictor, text=text or "",
                media=media.getvalue() if media is not None else None,
                media_name=media.name if media is not None else None, gender=gender)
        st.session_state[LAST] = svc.outcome_view(stored)
    except CommandError as exc:
        st.session_state.pop(LAST, None)
        st.error(str(exc))

last = st.session_state.get(LAST)
if last:
    st.subheader(f"Prediction by {last['run']}", anchor=False)
    cols = st.columns(len(last["predictions"]) + 2)
    for column, (task, value) in zip(cols, last["predictions"].items(), strict=False):
        probability = value["probabilities"][value["label"]]
        column.metric(task.capitalize(), f"{value['label']} ({probability:.2f})")
    cols[-2].metric("Device", last["device"].upper())
    cols[-1].metric("Latency", f"{last['latency_ms']:.0f} ms")
    if last["device"] == "cpu":
        st.info("Running on the CPU: no GPU was found, so predictions are slower "
                f"({deps.device()['name']}). A GPU is used automatically when present.")
    for note in last["notes"]:
        st.caption(f"Note: {note}.")
    st.plotly_chart(probability_bars(last["predictions"]), key="upl_chart")
    st.caption(f"Upload `{last['sha256'][:12]}` "
               + ("stored." if last["created"] else "was already stored; prediction updated."))
    if st.button("Explain this upload", key="upl_explain"):
        handoff.request_explanation(run=last["run"], upload_sha256=last["sha256"])
        if not handoff.explain_available():
            st.info("The Explain page is not available in this version yet.")

st.subheader("History", anchor=False)
history = svc.upload_history(workspace)
if history:
    st.dataframe(history, key="upl_history", hide_index=True)
else:
    st.caption("No uploads yet.")
