"""Prediction figures: one bar chart of class probabilities per task, the predicted class marked."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

PREDICTED_COLOUR = "#d62728"
OTHER_COLOUR = "#9ecae1"


def probability_bars(predictions: dict[str, dict[str, Any]]) -> go.Figure:
    """predictions: {task: {"label": str, "probabilities": {class: p}}} -> side-by-side bars."""
    tasks = list(predictions)
    figure = make_subplots(rows=1, cols=max(len(tasks), 1), subplot_titles=tasks,
                           column_widths=[max(len(predictions[t]["probabilities"]), 1)
                                          for t in tasks] or None)
    for column, task in enumerate(tasks, start=1):
        probabilities = predictions[task]["probabilities"]
        names = list(probabilities)
        figure.add_trace(go.Bar(
            x=names, y=[probabilities[n] for n in names], name=task, showlegend=False,
            marker_color=[PREDICTED_COLOUR if n == predictions[task]["label"] else OTHER_COLOUR
                          for n in names],
            text=[f"{probabilities[n]:.2f}" for n in names], textposition="outside",
        ), row=1, col=column)
        figure.update_yaxes(range=[0, 1.1], title_text="probability" if column == 1 else None,
                            row=1, col=column)
    figure.update_layout(height=340, margin={"t": 40, "b": 10, "l": 10, "r": 10})
    return figure
