"""AMM Studio dashboard: page config and navigation. Run with `streamlit run streamlit_app.py`."""

import streamlit as st

from app.auth import require_login
from app.first_launch import prepare_workspace
from app.navigation import PAGES

st.set_page_config(page_title="AMM Studio", page_icon=":material/psychology:", layout="wide")
require_login()  # only when .streamlit/secrets.toml configures [auth]
prepare_workspace()
pages = [
    st.Page(spec.path, title=spec.title, icon=spec.icon, url_path=spec.url_path,
            default=spec.default)
    for spec in PAGES
]
st.navigation(pages).run()
