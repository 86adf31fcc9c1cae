"""`render_explanation`: an amm_core Explanation on a Streamlit page — predictions, highlighted
tokens with the completeness delta, zone / pixel / facial attributions, encoder attention, and the
inter-modal (per head or averaged) and inter-task attention maps."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import streamlit as st
from PIL import Image

from app.components import explanation_figures as fig

MEAN_OF_HEADS = "mean of heads"


def load_rgb(image: Any) -> np.ndarray | None:
    """A path, PIL image or uint8 array -> RGB array (None when there is no readable picture)."""
    if image is None:
        return None
    if isinstance(image, np.ndarray):
        return image
    try:
        picture = image if isinstance(image, Image.Image) else Image.open(Path(image))
        return np.asarray(picture.convert("RGB"))
    except OSError:
        return None


def render_explanation(explanation: Any, image: Any = None, pixels: np.ndarray | None = None,
                       key: str = "explanation") -> None:
    """Everything the explanation holds; `image` adds overlays, `pixels` the pixel map."""
    rgb = load_rgb(image)
    _predictions(explanation)
    for note in explanation.notes:
        st.info(note)
    _tokens(explanation, key)
    _visual(explanation, rgb, pixels, key)
    _attention(explanation, key)
    _inter_modal(explanation, key)
    _inter_task(explanation, key)


def _predictions(e: Any) -> None:
    columns = st.columns(len(e.probabilities) + 1)
    for column, (task, classes) in zip(columns, e.probabilities.items(), strict=False):
        best = max(classes, key=classes.get)
        column.metric(task.capitalize(), best, f"p = {classes[best]:.2f}", delta_color="off")
    columns[-1].metric("Explained", f"{e.task}: {e.target}",
                       f"p = {e.probabilities[e.task][e.target]:.2f}", delta_color="off")


def _tokens(e: Any, key: str) -> None:
    st.subheader("Which words pushed the decision", anchor=False)
    st.markdown(fig.token_html(e.tokens, e.token_attributions), unsafe_allow_html=True)
    st.caption(
        f"Integrated Gradients ({e.steps} steps, all-zero baseline) per token for "
        f"**{e.task}: {e.target}**; red pushes towards it, blue away. Completeness delta "
        f"**{e.delta:.4f}** (attributions sum to logit {e.target_logit:.3f} − baseline "
        f"{e.baseline_logit:.3f} within this).")
    st.plotly_chart(fig.signed_bars(e.tokens, e.token_attributions, "Attribution per token"),
                    key=f"{key}_tokens")


def _visual(e: Any, rgb: np.ndarray | None, pixels: np.ndarray | None, key: str) -> None:
    if e.zone_attributions is None:
        return
    what = {"image": "zone", "video": "clip", "openface": "window"}.get(e.visual_kind, "step")
    st.subheader(f"Which {what}s pushed the decision", anchor=False)
    if e.visual_kind == "image" and rgb is not None:
        st.plotly_chart(fig.zone_overlay(rgb, e.zone_names, e.zone_attributions),
                        key=f"{key}_zones")
    else:
        st.plotly_chart(fig.signed_bars(e.zone_names, e.zone_attributions,
                                        f"Attribution per {what}"), key=f"{key}_zones")
    if e.facial is not None and e.facial_names:
        st.plotly_chart(fig.facial_heatmap(e.facial, e.zone_names, e.facial_names,
                                           "Windows × OpenFace facial features"),
                        key=f"{key}_facial")
    if pixels is not None and rgb is not None:
        st.plotly_chart(fig.pixel_overlay(rgb, pixels), key=f"{key}_pixels")


def _attention(e: Any, key: str) -> None:
    st.subheader("Encoder attention", anchor=False)
    left, right = st.columns(2)
    left.plotly_chart(fig.attention_bars(e.tokens, e.word_attention, "Word attention α^t"),
                      key=f"{key}_word_attention")
    if e.visual_attention is not None:
        right.plotly_chart(fig.attention_bars(e.zone_names, e.visual_attention,
                                              "Zone / clip attention α^v"),
                           key=f"{key}_visual_attention")


def _inter_modal(e: Any, key: str) -> None:
    if e.inter_modal is None:
        return
    st.subheader("Inter-modal attention", anchor=False)
    t2v, v2t = np.asarray(e.inter_modal["t2v"]), np.asarray(e.inter_modal["v2t"])
    heads = [MEAN_OF_HEADS, *[f"head {h + 1}" for h in range(t2v.shape[0])]]
    head = st.selectbox("Head", heads, key=f"{key}_head")
    pick = (lambda w: w.mean(0)) if head == MEAN_OF_HEADS else (
        lambda w: w[heads.index(head) - 1])
    text, visual = e.inter_modal["text_steps"], e.inter_modal["visual_steps"]
    left, right = st.columns(2)
    left.plotly_chart(fig.attention_heatmap(pick(t2v), text, visual,
                                            f"Text → visual ({head})"), key=f"{key}_t2v")
    right.plotly_chart(fig.attention_heatmap(pick(v2t), visual, text,
                                             f"Visual → text ({head})"), key=f"{key}_v2t")


def _inter_task(e: Any, key: str) -> None:
    if e.inter_task is None:
        return
    st.subheader("Inter-task attention", anchor=False)
    steps = e.inter_task["steps"]
    left, right = st.columns(2)
    left.plotly_chart(fig.attention_heatmap(e.inter_task["dep_from_emo"], steps, steps,
                                            "Depression ← emotion"), key=f"{key}_dep_from_emo")
    right.plotly_chart(fig.attention_heatmap(e.inter_task["emo_from_dep"], steps, steps,
                                             "Emotion ← depression"), key=f"{key}_emo_from_dep")
