"""Agreement and adjudication: how well annotators agree, and gold labels for disagreements."""

import streamlit as st

from app import annotation_services as svc
from app import auth, deps, services
from app.components.agreement import confusion_heatmap, kappa_heatmap

workspace = deps.workspace()
st.title("Agreement")
datasets = [o.name for o in services.dataset_overviews(workspace)]
if not datasets:
    st.info("Import a dataset first.")
    st.stop()
dataset = st.selectbox("Dataset", sorted(datasets, key=lambda d: "daic" not in d),
                       key="agr_dataset")
report = svc.agreement(workspace, dataset)
if report["items"] == 0:
    st.info("No labels yet in this dataset. Label some on the Annotation page, or "
            "`amm annotate import FILE --dataset NAME`.")
    st.stop()


def fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


cols = st.columns(4)
cols[0].metric("Items labelled", report["items"])
cols[1].metric("Percent agreement", fmt(report["percent_agreement"]))
cols[2].metric("Fleiss' kappa", fmt(report["fleiss_kappa"]))
cols[3].metric("Krippendorff's alpha", fmt(report["krippendorff_alpha"]))
intervals = {k: v for k, v in report["intervals"].items() if v}
if intervals:
    st.caption("Bootstrap 95 % intervals: " + "; ".join(
        f"{k.replace('_', ' ')} [{lo:.3f}, {hi:.3f}]" for k, (lo, hi) in intervals.items()))

annotators = report["annotators"]
left, right = st.columns(2)
if len(annotators) > 1:
    left.plotly_chart(kappa_heatmap(annotators, report["cohen_kappa"]), key="agr_kappa")
    pairs = sorted(report["pairwise_confusion"])
    pair = right.selectbox("Pair", pairs, key="agr_pair")
    labels = list(next(iter(report["label_rates"].values())).keys())
    right.plotly_chart(confusion_heatmap(pair, report["pairwise_confusion"][pair], labels),
                       key="agr_confusion")
st.dataframe(report["label_rates"], key="agr_rates")

st.subheader("Adjudication", anchor=False)
pending = svc.disagreements(workspace, dataset)
if not pending:
    st.success("No open disagreements.")
    st.stop()
signed_in = auth.identity()  # with login on, adjudications carry the signed-in identity
judge = signed_in or st.text_input("Adjudicator name", key="agr_judge")
if signed_in:
    st.caption(f"Adjudicating as {signed_in}.")
st.caption(f"{len(pending)} item(s) where annotators disagree.")
label_choices = svc.label_set(workspace, dataset)
for item in pending[:20]:
    with st.container(border=True):
        st.markdown(f"**{item['external_id']}** · {item['text']}")
        if item["context"]:
            st.caption(f"Interviewer: {item['context']}")
        st.write(" · ".join(f"{who}: **{label}**" for who, label in item["labels"].items()))
        buttons = st.columns(len(label_choices) or 1)
        for column, label in zip(buttons, label_choices, strict=False):
            if column.button(f"Gold: {label}", key=f"agr_gold_{item['sample_id']}_{label}",
                             disabled=not judge.strip()):
                try:  # the service checks the adjudicator's role
                    svc.adjudicate(workspace, item["sample_id"], label, judge.strip(),
                                   item["labels"])
                except ValueError as exc:
                    st.error(str(exc))
                else:
                    st.rerun()
