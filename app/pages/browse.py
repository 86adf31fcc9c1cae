"""MGID browser: filter posts (split, labels, image, text, a run's predictions), page through
cached thumbnails, and open one post: image, caption, labels, HSV histogram, the run's
probabilities and a hand-off to the Explain page. The open post belongs to one dataset: it closes
when another dataset is chosen. Explain with no run chosen hands over the newest completed run
of the post's dataset (none when it has none, and the Explain page asks)."""

from dataclasses import replace

import streamlit as st

from app import browse_handoff, deps, handoff
from app import browse_services as svc
from app.components.hsv import hsv_histogram_figure, probabilities_figure
from app.components.thumbnails import card_grid

ANY, NO_RUN = "(any)", "(no run)"
IMAGE_CHOICES = {ANY: None, "with image": True, "without image": False}
OUTCOME_CHOICES = {ANY: None, "correct": "correct", "wrong": "wrong"}
ORDER_CHOICES = {"sample order": "id", "least confident first": "confidence-asc",
                 "most confident first": "confidence-desc"}
FILTER_KEYS = ("browse_split", "browse_depression", "browse_emotion", "browse_image",
               "browse_search", "browse_run")
state = st.session_state
workspace = deps.workspace()


def open_card(sample_id: int) -> None:
    state["browse_selected"] = sample_id


def close_card() -> None:
    state.pop("browse_selected", None)


def step_page(delta: int, pages: int) -> None:
    state["browse_page"] = min(max(1, int(state.get("browse_page", 1)) + delta), pages)


def pick(label: str, options: list[str], key: str) -> str | None:
    value = st.selectbox(label, options, key=key)
    return None if value == ANY else value


st.title("MGID browser")
datasets = svc.browsable_datasets(workspace)
if not datasets:
    st.info("No MGID dataset yet. Import one with `amm import mgid --csv-dir DIR --images DIR`, "
            "or build the demo with `amm demo`.", icon="📂")
    st.stop()

focus = browse_handoff.browse_focus()
if focus and focus.get("fresh"):  # just handed over (e.g. by the Data audit): start clean
    focus["fresh"] = False
    for key in FILTER_KEYS:
        state.pop(key, None)
    close_card()
    if focus["dataset"] in datasets:
        state["browse_dataset"] = focus["dataset"]

with st.sidebar:
    dataset = st.selectbox("Dataset", datasets, key="browse_dataset")
    choices = svc.choices(workspace, dataset)
    split = pick("Split", [ANY, *choices.splits], "browse_split")
    depression = pick("Depression label", [ANY, *choices.depression], "browse_depression")
    emotion = pick("Emotion label", [ANY, *choices.emotions], "browse_emotion")
    has_image = IMAGE_CHOICES[st.selectbox("Image", list(IMAGE_CHOICES), key="browse_image")]
    search = st.text_input("Search title and caption", key="browse_search")
    st.divider()
    chosen_run = st.selectbox("Run", [NO_RUN, *choices.runs], key="browse_run",
                              help="Show a run's predictions and filter by them.")
    run = None if chosen_run == NO_RUN else chosen_run
    task, predicted, outcome, confidence, order = "depression", None, None, (0.0, 1.0), "id"
    if run:
        task = st.radio("Task", svc.TASKS, key="browse_task", horizontal=True)
        labels = choices.depression if task == "depression" else choices.emotions
        predicted = pick("Predicted label", [ANY, *labels], f"browse_predicted_{task}")
        outcome = OUTCOME_CHOICES[st.selectbox("Prediction is", list(OUTCOME_CHOICES),
                                               key="browse_outcome")]
        confidence = st.slider("Confidence (probability of the predicted label)", 0.0, 1.0,
                               (0.0, 1.0), 0.05, key="browse_confidence")
        order = ORDER_CHOICES[st.selectbox("Order", list(ORDER_CHOICES), key="browse_order")]

sample_ids = None
if focus and focus["dataset"] == dataset:
    sample_ids = tuple(focus["sample_ids"])
    note, clear = st.columns([5, 1], vertical_alignment="center")
    note.info(f"Only the {len(sample_ids):,} posts behind “{focus['reason']}” (from the data "
              "audit); the filters still apply.")
    clear.button("Show all posts", key="browse_clear_focus",
                 on_click=browse_handoff.clear_browse_focus)

filters = svc.BrowseRequest(
    dataset=dataset, split=split, depression=depression, emotion=emotion, has_image=has_image,
    search=search, sample_ids=sample_ids, run=run, task=task, predicted=predicted,
    outcome=outcome, confidence=tuple(confidence), order=order, page=1)
if state.get("browse_filters") != filters:  # new filters: back to the first page
    state["browse_filters"] = filters
    state["browse_page"] = 1
request = replace(filters, page=int(state.get("browse_page", 1)))
try:
    result = svc.browse_page(workspace, request)
except svc.BrowseError as exc:
    st.error(str(exc))
    st.stop()


def show_image(column, detail: svc.SampleDetail) -> None:
    """The post's picture, or one line saying why there is none (never an exception)."""
    if detail.image_path is not None:
        try:
            column.image(str(detail.image_path), width="stretch")
            return
        except (OSError, ValueError) as exc:  # decoded for the model, yet refused here
            detail.image_problem = f"image unreadable: {exc}"
    if detail.image_problem:
        column.warning(detail.image_problem, icon="🖼️")
    else:
        column.info("No image for this post: it is a text-only sample.")


def show_detail(sample_id: int) -> None:
    try:
        detail = svc.sample_detail(workspace, sample_id, run)
    except svc.BrowseError as exc:
        st.warning(str(exc))
        close_card()
        return
    if detail.dataset != dataset:  # opened on another dataset
        close_card()
        return
    explain_run = run or (choices.runs[0] if choices.runs else None)
    with st.container(border=True, key="browse_detail"):
        image_col, text_col = st.columns(2)
        show_image(image_col, detail)
        text_col.subheader(detail.title, anchor=False)
        text_col.text(detail.text or "(empty caption)")
        text_col.markdown(f"**Split** {detail.split} · **Depression** "
                          f"{detail.labels['depression']} · **Emotion** {detail.labels['emotion']}")
        text_col.caption(f"{detail.dataset} · {detail.external_id} · sample {detail.sample_id}")
        explain, close = text_col.columns(2)
        if explain.button("Explain", key="browse_explain", icon=":material/insights:",
                          help="Open this post on the Explain page with the chosen run (none "
                               "chosen: the newest run of this dataset)."):
            handoff.request_explanation(run=explain_run, sample_id=detail.sample_id)
            if not handoff.explain_available():
                text_col.info("The Explain page is not part of this build yet.")
        close.button("Close", key="browse_close", on_click=close_card)
        hsv_col, prob_col = st.columns(2)
        if detail.hsv is not None:
            hsv_col.plotly_chart(hsv_histogram_figure(detail.hsv), key="browse_hsv")
        if detail.predictions:
            prob_col.plotly_chart(probabilities_figure(detail.predictions), key="browse_probs")
        elif run:
            prob_col.info(f"Run {run} has no prediction for this post.")
        else:
            prob_col.caption("Choose a run in the sidebar to see its probabilities.")


if state.get("browse_selected") is not None:
    show_detail(int(state["browse_selected"]))

if result.total == 0:
    st.info("No post matches these filters.")
    st.stop()
state["browse_page"] = result.page  # clamped by the query
prev_col, info_col, page_col, next_col = st.columns([1, 4, 1, 1], vertical_alignment="center")
prev_col.button("◀ Previous", key="browse_prev", disabled=result.page <= 1,
                on_click=step_page, args=(-1, result.pages))
info_col.markdown(f"Posts {result.first:,}–{result.first + len(result.cards) - 1:,} of "
                  f"**{result.total:,}** · page {result.page} of {result.pages}")
page_col.number_input("Page", min_value=1, max_value=result.pages, step=1, key="browse_page",
                      label_visibility="collapsed")
next_col.button("Next ▶", key="browse_next", disabled=result.page >= result.pages,
                on_click=step_page, args=(1, result.pages))
card_grid(result.cards, on_open=open_card)
