"""Admin: who has which role, the audit log, and the destructive actions (delete a dataset, a
run or a person's labels), open to admins only and confirmed by typing the target's name."""

import streamlit as st

from app import admin_services as svc
from app import auth, deps

workspace = deps.workspace()
st.title("Admin")

signed_in = auth.identity()
actor = signed_in or st.text_input("Your name", key="adm_actor",
                                   placeholder="an admin's name").strip()
if signed_in:
    st.caption(f"Acting as {signed_in}")

left, right = st.columns(2)
left.subheader("People and roles", anchor=False)
left.dataframe(svc.people(workspace), hide_index=True, key="adm_people")
right.subheader("Audit log", anchor=False)
right.dataframe(svc.audit_log(workspace), hide_index=True, key="adm_log")


def attempt(action, success: str) -> None:
    try:
        action()
    except ValueError as exc:
        st.error(str(exc))
        return
    st.toast(success)
    st.rerun()


if not svc.has_admin(workspace):
    st.info("No admin yet: roles are self-declared and anyone may delete. Make the first admin "
            "(from then on only admins grant roles and delete, and every such action is "
            "logged).")
    if st.button("Make me the first admin", key="adm_bootstrap", disabled=not actor):
        attempt(lambda: svc.grant(workspace, actor, "admin", actor, bootstrap=True),
                f"{actor} is now admin")
    st.stop()
if not svc.is_admin(workspace, actor):
    st.warning("Granting roles and deleting need the admin role.")
    st.stop()

st.subheader("Grant a role", anchor=False)
cols = st.columns([2, 1, 1], vertical_alignment="bottom")
person = cols[0].text_input("Person", key="adm_grant_name")
role = cols[1].selectbox("Role", ["annotator", "adjudicator", "admin"], key="adm_grant_role")
if cols[2].button("Grant", key="adm_grant", disabled=not person.strip()):
    attempt(lambda: svc.grant(workspace, person, role, actor), f"{person} is now {role}")

st.subheader("Delete", anchor=False)
kind = st.radio("What", svc.DELETE_KINDS, horizontal=True, key="adm_delete_kind",
                format_func=lambda k: {"labels": "a person's labels"}.get(k, f"a {k}"))
targets = svc.delete_targets(workspace, kind)
if not targets:
    st.caption("Nothing to delete.")
    st.stop()
target = st.selectbox("Which", targets, key="adm_delete_target")
confirm = st.text_input(f"Type '{target}' to confirm; this cannot be undone",
                        key="adm_delete_confirm")
if st.button("Delete", key="adm_delete", type="primary", disabled=confirm != target):
    attempt(lambda: svc.delete(workspace, kind, target, actor), f"deleted {kind} {target}")
