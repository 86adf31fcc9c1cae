"""One analysis case on a page: media, text, probabilities and an Explain button that hands the
sample to the Explain page (app.handoff)."""

from __future__ import annotations

import re
from pathlib import Path

import streamlit as st

from amm_core.cli.analysis_data import Case
from app import handoff

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|>~<$])")


def plain(text: str) -> str:
    """Text shown as itself in markdown (no formatting, links or LaTeX from the data)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def show_media(case: Case) -> None:
    path = Path(case.media_path) if case.media_path else None
    if path is None or not path.is_file() or case.has_image != "yes":
        st.caption("no image" if case.media_kind != "openface" else "OpenFace features only")
    elif case.media_kind == "video":
        st.video(str(path))
    else:
        st.image(str(path), width=220)


def probability_table(labels: list[str], columns: dict[str, dict[str, float]], key: str) -> None:
    """Probabilities per class, one progress column per run."""
    data = {"class": labels, **{name: [probs.get(lbl, 0.0) for lbl in labels]
                                for name, probs in columns.items()}}
    config = {name: st.column_config.ProgressColumn(name, min_value=0.0, max_value=1.0,
                                                    format="%.2f") for name in columns}
    st.dataframe(data, column_config=config, hide_index=True, key=key,
                 height=36 * (len(labels) + 1) + 3)


def explain_button(run: str, case: Case, key: str, label: str = "Explain") -> None:
    if st.button(label, key=key, icon=":material/psychology_alt:",
                 help="Open this case on the Explain page"):
        handoff.request_explanation(run=run, sample_id=case.sample_id)
        if not handoff.explain_available():
            st.info("The Explain page is not installed yet; the case is remembered for it.")


def headline(case: Case) -> str:
    truth = case.true if case.true is not None else "unlabelled"
    mark = (":green[:material/check_circle:]" if case.correct else
            ":red[:material/cancel:]" if case.correct is False else ":material/help:")
    return (f"{mark} **{plain(case.external_id)}** · true **{plain(truth)}** · predicted "
            f"**{plain(case.predicted)}** ({case.confidence:.2f}) · {case.split}")


def case_card(run: str, case: Case, labels: list[str], key_prefix: str) -> None:
    with st.container(border=True):
        media, body = st.columns([1, 2])
        with media:
            show_media(case)
        with body:
            st.markdown(headline(case))
            st.markdown(plain(case.text) if case.text else "_(no text)_")
            st.caption(f"gender {case.gender} · session {case.session} · "
                       f"{case.caption_words} words")
            probability_table(labels, {run: case.probabilities},
                              key=f"{key_prefix}_probs_{case.sample_id}")
            explain_button(run, case, key=f"{key_prefix}_explain_{case.sample_id}")


def pair_card(run_a: str, run_b: str, pair: tuple[Case, Case], labels: list[str],
              key_prefix: str) -> None:
    """A case both runs predicted: their probabilities side by side and an Explain per run."""
    a, b = pair
    with st.container(border=True):
        st.markdown(f"**{plain(a.external_id)}** · true **{plain(str(a.true))}** · "
                    f"A: {plain(a.predicted)} ({a.confidence:.2f}) · "
                    f"B: {plain(b.predicted)} ({b.confidence:.2f})")
        media, body = st.columns([1, 2])
        with media:
            show_media(a)
        with body:
            st.markdown(plain(a.text) if a.text else "_(no text)_")
            probability_table(labels, {f"A {run_a}": a.probabilities,
                                       f"B {run_b}": b.probabilities},
                              key=f"{key_prefix}_probs_{a.sample_id}")
            left, right = st.columns(2)
            with left:
                explain_button(run_a, a, key=f"{key_prefix}_explain_a_{a.sample_id}",
                               label="Explain A")
            with right:
                explain_button(run_b, b, key=f"{key_prefix}_explain_b_{a.sample_id}",
                               label="Explain B")
