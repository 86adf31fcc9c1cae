"""Plotly figures for one sample: its HSV colour histogram (the model's colour knowledge) and a
run's class probabilities per task. Panels are laid out by hand: make_subplots costs ~0.1 s a
figure, which is most of a browser render."""

from __future__ import annotations

import colorsys
from typing import Any

import numpy as np
import plotly.graph_objects as go

CHANNELS = ("Hue", "Saturation", "Value")
HSV_GAP = 0.04  # between panels, as a share of the figure width
LABEL_GAP = 0.2  # room for the class names left of the second probability panel
MARGIN = {"t": 50, "b": 10, "l": 10, "r": 10}


def _bin_colours(channel: int, bins: int) -> list[str]:
    """Each bar in the colour it stands for: hues around the wheel, saturation and value ramps."""
    colours = []
    for k in range(bins):
        centre = (k + 0.5) / bins
        hsv = [(centre, 0.85, 0.9), (0.6, centre, 0.85), (0.0, 0.0, centre)][channel]
        r, g, b = colorsys.hsv_to_rgb(*hsv)
        colours.append(f"rgb({round(255 * r)},{round(255 * g)},{round(255 * b)})")
    return colours


def _panel_axes(index: int, count: int, title: str, shared_y: bool, gap: float
                ) -> dict[str, Any]:
    """Layout entries of side-by-side panel `index` (0-based) of `count`."""
    suffix = "" if index == 0 else str(index + 1)
    width = (1 - gap * (count - 1)) / count
    left = index * (width + gap)
    y_axis: dict[str, Any] = {"anchor": f"x{suffix}"}
    if shared_y and index:
        y_axis.update(matches="y", showticklabels=False)
    return {f"xaxis{suffix}": {"domain": [left, left + width], "anchor": f"y{suffix}",
                               "title": {"text": title}},
            f"yaxis{suffix}": y_axis}


def _axis_names(index: int) -> dict[str, str]:
    suffix = "" if index == 0 else str(index + 1)
    return {"xaxis": f"x{suffix}", "yaxis": f"y{suffix}"}


def hsv_histogram_figure(histogram: np.ndarray) -> go.Figure:
    """Three bar charts (H, S, V) from `amm_core.features.colour.hsv_histogram`'s (3 * bins,)."""
    values = np.asarray(histogram, dtype=float).reshape(len(CHANNELS), -1)
    bins = values.shape[1]
    layout: dict[str, Any] = {"title": {"text": f"HSV colour histogram ({bins} bins per channel)"},
                              "height": 260, "margin": MARGIN, "showlegend": False}
    traces = []
    for channel, name in enumerate(CHANNELS):
        layout.update(_panel_axes(channel, len(CHANNELS), name, shared_y=True, gap=HSV_GAP))
        traces.append(go.Bar(x=list(range(bins)), y=values[channel].tolist(), name=name,
                             marker_color=_bin_colours(channel, bins), **_axis_names(channel),
                             hovertemplate=f"{name} bin %{{x}}: %{{y:.1%}}<extra></extra>"))
    layout["yaxis"]["tickformat"] = ".0%"
    return go.Figure(data=traces, layout=layout)


def probabilities_figure(predictions: dict[str, dict[str, Any]]) -> go.Figure:
    """One horizontal bar chart per task: the probability of each class, the prediction in red."""
    tasks = [task for task in ("depression", "emotion") if task in predictions]
    layout: dict[str, Any] = {"title": {"text": "Run probabilities"}, "height": 260,
                              "margin": MARGIN, "showlegend": False}
    traces = []
    for index, task in enumerate(tasks):
        probs = predictions[task]["probabilities"]
        chosen = predictions[task]["label"]
        names = list(probs)
        layout.update(_panel_axes(index, len(tasks), task.capitalize(), shared_y=False,
                                  gap=LABEL_GAP))
        suffix = "" if index == 0 else str(index + 1)
        layout[f"xaxis{suffix}"]["range"] = [0, 1]
        traces.append(go.Bar(
            x=[probs[n] for n in names], y=names, orientation="h", **_axis_names(index),
            marker_color=["#d62728" if n == chosen else "#9ecae1" for n in names],
            text=[f"{probs[n]:.2f}" for n in names], textposition="auto",
            hovertemplate="%{y}: %{x:.3f}<extra></extra>"))
    return go.Figure(data=traces, layout=layout)
