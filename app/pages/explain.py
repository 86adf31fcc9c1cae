"""Explain: why a run decided, for a dataset sample or a stored upload — token and zone
attributions at once, pixel attribution on request, and the model's attention maps."""

import streamlit as st

from amm_core.cli.output import CommandError
from app import deps, handoff
from app import explain_services as svc
from app.components.explanation import render_explanation

PREDICTED = "(the predicted class)"
SOURCES = ("Dataset sample", "Upload")
CACHE = "exp_cache"  # (run, kind, key, task, target) -> Explanation; + "pixels" -> map
CACHE_SIZE = 8

state = st.session_state
workspace = deps.workspace()
st.title("Explain")
runs = svc.explain_runs(workspace)
if not runs:
    st.info("No trained run yet. Train one with `amm train --dataset NAME` (the demo trains "
            "`demo-amm`).")
    st.stop()
names = [r["name"] for r in runs]


def apply_handoff() -> str | None:
    """Preselect what another page handed over (once per request); the upload hash, if any."""
    request, target, run = handoff.explanation_request()
    marker = (request, repr(target), run)
    if target is None or state.get("exp_applied") == marker:
        return None
    state["exp_applied"] = marker
    if run in names:
        state["exp_run"] = run
    if target["kind"] == "upload":
        state["exp_source"] = SOURCES[1]
        state["exp_upload"] = target["sha256"]
        return target["sha256"]
    found = svc.sample_location(workspace, target["sample_id"])
    if found is None:
        st.warning(f"Sample {target['sample_id']} handed over from another page no longer "
                   "exists.")
        return None
    state.update(exp_source=SOURCES[0], exp_dataset=found["dataset"],
                 exp_query=found["external_id"], exp_sample=target["sample_id"])
    return None


def keep_valid(key: str, options: list) -> None:
    """Forget a remembered choice that is not offered any more (another run, another search)."""
    if key in state and state[key] not in options:
        del state[key]


def follow_run(run_name: str, handed: bool) -> None:
    """A newly chosen run starts from its own dataset (unless a hand-off just chose the sample)."""
    seen = state.get("exp_run_seen")
    if seen is not None and seen != run_name and not handed:
        for key in ("exp_dataset", "exp_query", "exp_sample"):
            state.pop(key, None)
    state["exp_run_seen"] = run_name


handed_before = state.get("exp_applied")
handed_upload = apply_handoff()
run_name = st.selectbox("Run", names, key="exp_run")
run = runs[names.index(run_name)]
follow_run(run_name, handed=state.get("exp_applied") != handed_before)
st.caption(f"{run['variant']} on {run['dataset']} · trained on {run['modalities']}")
try:
    _, predictor = deps.predictor(run_name)
except CommandError as exc:
    st.error(str(exc))
    st.stop()

source = st.radio("Explain", SOURCES, key="exp_source", horizontal=True)
if source == SOURCES[0]:
    datasets = svc.dataset_names(workspace, run["dataset"])
    keep_valid("exp_dataset", datasets)
    dataset = st.selectbox("Dataset", datasets, key="exp_dataset")
    query = st.text_input("Search by external id or text", key="exp_query")
    hits = svc.search_samples(workspace, dataset, query)
    if not hits:
        st.info("No sample matches this search.")
        st.stop()
    labels = {h["sample_id"]: f"{h['external_id']} · {h['text'][:80]}" for h in hits}
    keep_valid("exp_sample", list(labels))
    chosen = st.selectbox("Sample", list(labels), format_func=labels.get, key="exp_sample")
    kind, key = "sample", str(chosen)
else:
    uploads = svc.recent_uploads(workspace, include=handed_upload or state.get("exp_upload"))
    if not uploads:
        st.info("No stored upload yet: predict one on the Upload page first.")
        st.stop()
    labels = {u["sha256"]: f"{u['original_name'] or u['media_kind'] or 'text'} · "
              f"{u['text'][:60] or '(no text)'} · {u['sha256'][:10]}" for u in uploads}
    keep_valid("exp_upload", list(labels))
    chosen = st.selectbox("Upload", list(labels), format_func=labels.get, key="exp_upload")
    kind, key = "upload", chosen

left, right = st.columns(2)
tasks = svc.task_options(predictor)
keep_valid("exp_task", tasks)
task = left.selectbox("Task", tasks, key="exp_task")
classes = [PREDICTED, *svc.class_options(predictor, task)]
keep_valid("exp_class", classes)
picked = right.selectbox("Class to explain", classes, key="exp_class")
target = None if picked == PREDICTED else picked

cache = state.setdefault(CACHE, {})
cache_key = (run_name, kind, key, task, target)
try:
    subject = svc.load_subject(workspace, kind, key)
    if cache_key not in cache:
        with st.spinner("Computing attributions…"):
            cache[cache_key] = svc.explain(workspace, predictor, subject, task, target)
        while len(cache) > CACHE_SIZE:
            cache.pop(next(iter(cache)))
except CommandError as exc:
    st.error(str(exc))
    st.stop()
explanation = cache[cache_key]
st.markdown(f"**{subject.label}** — {subject.text or '(no text)'}")

pixel_key = (*cache_key, "pixels")
offer_pixels = svc.can_explain_pixels(predictor, subject) and pixel_key not in cache
if offer_pixels and st.button("Pixel attribution (occlusion, a few seconds)", key="exp_pixels"):
    bar = st.progress(0.0, text="Pixel attribution: occluding the picture window by window")
    try:
        cache[pixel_key] = svc.pixel_map(
            workspace, predictor, subject, task, explanation.target_index,
            progress=lambda f: bar.progress(f, text=f"Pixel attribution {f:.0%}"))
    except CommandError as exc:
        st.error(str(exc))
    else:
        st.rerun()  # show the map, without the button that made it
render_explanation(explanation, image=subject.image_path, pixels=cache.get(pixel_key))
