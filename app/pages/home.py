"""Home: the workspace, its datasets (counts per split and label, as imported: the Data audit
counts gold labels), the device, MGID data quality (the import's counts, labelled as the audit
labels them)."""

import streamlit as st

from app import deps, services
from app.components.datasets import (
    describe_counts,
    label_distribution_figure,
    splits_table,
)

workspace = deps.workspace()
device = deps.device()
overviews = services.dataset_overviews(workspace)

st.title("AMM Studio")
st.caption("Multimodal depression and emotion analysis with the AMM model "
           "(Zhang, Li, Rong and Tiwari, IEEE BIBM 2021). Everything stays on this machine.")

left, middle, right = st.columns(3)
left.metric("Datasets", len(overviews))
middle.metric("Samples", sum(o.samples for o in overviews))
right.metric("Device", "GPU" if device["kind"] == "cuda" else "CPU", help=device["name"])
with st.expander("Workspace", expanded=False):
    st.write(f"Folder: `{workspace.settings.home}`")
    st.write(f"Database: `{services.safe_database_url(workspace)}`")
    st.write(f"Compute: {device['name']}")

runs = services.run_overviews(workspace)
if runs:
    st.subheader("Model runs", anchor=False)
    st.dataframe(runs, hide_index=True, key="runs-table",
                 column_config={"progress": st.column_config.ProgressColumn(
                     "progress", format="%d%%", min_value=0, max_value=100)})
    st.caption("Train more with `amm train --dataset NAME`; compare variants with "
               "`amm experiment --dataset NAME --suite paper`.")

if not overviews:
    st.info("No datasets yet. Import one with `amm import mgid --csv-dir DIR` or "
            "`amm import daic --root DIR`, or build the demo with `amm demo`.", icon="📂")

for overview in overviews:
    st.divider()
    badge = " :orange-badge[synthetic demo]" if overview.synthetic else ""
    st.subheader(f"{overview.name} · {overview.kind.upper()}{badge}", anchor=False)
    counts_col, dep_col, emo_col = st.columns([1, 2, 2])
    counts_col.dataframe(splits_table(overview.splits), hide_index=True,
                         key=f"splits-{overview.name}")
    dep_col.plotly_chart(label_distribution_figure(overview.label_rows, "depression",
                                                   "Depression (as imported)"),
                         key=f"dep-{overview.name}")
    emo_col.plotly_chart(label_distribution_figure(overview.label_rows, "emotion",
                                                   "Emotion (as imported)"),
                         key=f"emo-{overview.name}")
    if overview.kind == "mgid":
        quality = services.mgid_quality(overview)
        st.markdown("**Data quality**")
        cols = st.columns(len(quality["figures"]))
        for col, (label, value) in zip(cols, quality["figures"].items(), strict=False):
            col.metric(label, value)
        if quality["split_shift_warning"]:
            st.warning(quality["split_shift_warning"], icon="⚠️")
        st.caption(f"Rows skipped on import: {describe_counts(quality['skipped'])} · image "
                   "files that cannot be decoded are counted on the Data audit page")
    elif overview.summary:
        summary = overview.summary
        missing = {key.removeprefix("sessions_without_"): summary.get(key, 0)
                   for key in services.DAIC_MISSING_KEYS}
        st.caption(f"Sessions: {summary.get('sessions', '?')} · rows not used as utterances: "
                   f"{describe_counts(summary.get('skipped', {}))} · sessions without: "
                   f"{describe_counts(missing)}")
