"""Streamlit pages: thin scripts that read widgets, call one service and render."""
