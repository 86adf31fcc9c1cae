"""The confusion matrix of one run and task as a plotly figure whose cells can be clicked.

Plotly heatmaps send no selection to Streamlit, so every cell also carries an invisible square
scatter marker at its centre: clicking a cell selects that marker, and the selection names the
cell through the marker's x (predicted class) and y (true class).
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

HEIGHT = 440
PLOT_PX = 300  # roughly the plotting area's height at HEIGHT


def confusion_figure(labels: list[str], matrix: list[list[int]], title: str = "") -> go.Figure:
    k = len(labels)
    xs = [labels[j] for i in range(k) for j in range(k)]
    ys = [labels[i] for i in range(k) for j in range(k)]
    counts = [matrix[i][j] for i in range(k) for j in range(k)]
    figure = go.Figure()
    figure.add_trace(go.Heatmap(z=matrix, x=labels, y=labels, colorscale="Blues",
                                texttemplate="%{z}", hoverinfo="skip", showscale=False))
    figure.add_trace(go.Scatter(
        x=xs, y=ys, mode="markers", customdata=counts, name="cells",
        marker={"symbol": "square", "size": max(12, min(70, int(PLOT_PX / max(k, 1)) - 4)),
                "color": "rgba(0,0,0,0)", "line": {"width": 0}},
        selected={"marker": {"color": "rgba(230,120,0,0.35)"}},
        unselected={"marker": {"opacity": 1}},
        hovertemplate="true %{y}, predicted %{x}: %{customdata} case(s)<extra></extra>",
        showlegend=False,
    ))
    figure.update_layout(
        title=title or "Confusion matrix", height=HEIGHT,
        margin={"t": 50, "b": 10, "l": 10, "r": 10}, clickmode="event+select",
        dragmode=False, xaxis={"title": "predicted", "side": "bottom"},
        yaxis={"title": "true", "autorange": "reversed"},
    )
    return figure


def selected_cell(event: Any) -> tuple[str, str] | None:
    """(true class, predicted class) of a plotly selection event, or None."""
    selection = getattr(event, "selection", None) or (event or {}).get("selection", {})
    points = (selection or {}).get("points") or []
    if not points:
        return None
    point = points[-1]
    if "x" not in point or "y" not in point:
        return None
    return str(point["y"]), str(point["x"])
