"""Reliability diagram: accuracy per confidence bin against the diagonal of perfect calibration."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go


def reliability_figure(calibration: dict[str, Any], title: str = "") -> go.Figure:
    bins = [b for b in calibration["bins"] if b["count"]]
    centres = [(b["low"] + b["high"]) / 2 for b in bins]
    width = 1 / calibration["n_bins"]
    figure = go.Figure()
    figure.add_trace(go.Bar(
        x=centres, y=[b["accuracy"] for b in bins], width=width * 0.95, name="accuracy",
        customdata=[[b["count"], b["confidence"]] for b in bins],
        hovertemplate="%{customdata[0]} case(s), mean confidence %{customdata[1]:.2f}, "
                      "accuracy %{y:.2f}<extra></extra>"))
    figure.add_trace(go.Scatter(x=centres, y=[b["confidence"] for b in bins], mode="markers",
                                name="mean confidence", marker={"color": "#d55"}))
    figure.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="perfect calibration",
                                line={"dash": "dash", "color": "#888"}))
    ece = calibration["ece"]
    figure.update_layout(
        title=title or f"Reliability diagram (ECE {'—' if ece is None else f'{ece:.3f}'})",
        height=440, margin={"t": 50, "b": 10, "l": 10, "r": 10},
        xaxis={"title": "confidence", "range": [0, 1]},
        yaxis={"title": "accuracy", "range": [0, 1]}, legend={"orientation": "h", "y": -0.25})
    return figure
