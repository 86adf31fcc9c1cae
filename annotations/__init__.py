"""Pure annotation logic (queues, workflow, agreement, exports): no Streamlit, no torch."""
