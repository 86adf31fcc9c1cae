"""The Streamlit dashboard: deps (cached resources), services, pages, components."""
