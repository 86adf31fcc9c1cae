"""Data audit: per dataset, the labels per split (MGID's split shift made visible) and the
data-quality findings; every number opens the rows behind it, here or in the MGID browser."""

import streamlit as st

from app import audit_services as svc
from app import browse_handoff, deps
from app.components.audit import split_shift_figure
from app.components.datasets import describe_counts, label_distribution_figure

state = st.session_state
workspace = deps.workspace()


def open_finding(dataset: str, key: str) -> None:
    state["audit_opened"] = (dataset, key)


st.title("Data audit")
datasets = svc.audited_datasets(workspace)
if not datasets:
    st.info("No datasets yet. Import one with `amm import mgid --csv-dir DIR` or "
            "`amm import daic --root DIR`, or build the demo with `amm demo`.", icon="📂")
    st.stop()
dataset = st.selectbox("Dataset", datasets, key="audit_dataset")
try:
    with st.spinner("Checking the image files (each is decoded once, then cached)…"):
        audit = svc.dataset_audit(workspace, dataset)
except svc.AuditError as exc:
    st.error(str(exc))
    st.stop()
st.caption(f"{audit.kind.upper()} · {audit.samples:,} samples · rows left out on import: "
           f"{describe_counts(audit.skipped)}")

st.subheader("Labels per split", anchor=False)
st.caption("Emotion labels are the gold label where annotators decided one, else the imported "
           "label, as training uses them. Home shows the labels as imported.")
dep_col, emo_col = st.columns(2)
dep_col.plotly_chart(label_distribution_figure(audit.label_rows, "depression", "Depression"),
                     key="audit_dep")
emo_col.plotly_chart(label_distribution_figure(audit.label_rows, "emotion", "Emotion"),
                     key="audit_emo")
shift = svc.split_shift_rows(audit)
if audit.kind in svc.IMAGE_KINDS and shift:
    st.plotly_chart(split_shift_figure(shift), key="audit_shift")
if audit.split_shift_warning:
    st.warning(audit.split_shift_warning, icon="⚠️")

st.subheader("Findings", anchor=False)
st.caption("Click a number to see the rows behind it.")
columns = st.columns(3)
for index, finding in enumerate(audit.findings):
    with columns[index % 3].container(border=True):
        st.markdown(f"**{finding.label}**", help=finding.help)
        unit = finding.unit if finding.count != 1 else finding.unit.removesuffix("s")
        st.button(f"{finding.count:,} {unit}", key=f"audit_open_{finding.key}",
                  disabled=not finding.sample_ids, on_click=open_finding,
                  args=(dataset, finding.key))
        if finding.unit not in ("posts", "utterances"):
            st.caption(f"{len(finding.sample_ids):,} samples involved")
if audit.kind not in svc.IMAGE_KINDS and audit.samples:
    st.caption("DAIC labels are per session and its visual side is OpenFace features, so the "
               "image and caption findings do not apply.")

opened = state.get("audit_opened")
finding = audit.finding(opened[1]) if opened and opened[0] == dataset else None
if finding is not None:
    st.subheader(f"Rows behind “{finding.label}”", anchor=False)
    st.dataframe(svc.rows_behind(audit, finding.key), hide_index=True, key="audit_rows")
    if audit.kind in svc.IMAGE_KINDS and st.button(
            "Open these posts in the MGID browser", key="audit_to_browser",
            icon=":material/photo_library:"):
        browse_handoff.request_browse(dataset, list(finding.sample_ids), finding.label)
        if not browse_handoff.browse_available():
            st.info("The MGID browser is not part of this build.")
