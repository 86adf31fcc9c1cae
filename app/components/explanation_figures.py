"""Plotly figures of an explanation: signed token bars, zone and pixel overlays beside the
picture, the DAIC window x facial-feature heatmap, attention bars and attention heatmaps.
Red pushes towards the explained class, blue away from it."""

from __future__ import annotations

import html

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

SIGNED = "RdBu_r"  # blue negative, white 0, red positive
MARGIN = {"t": 40, "b": 10, "l": 10, "r": 10}
MAX_SIDE = 480  # px: pictures are shrunk before they go into a figure


def token_html(tokens: list[str], values: list[float]) -> str:
    """Tokens as inline HTML spans shaded by attribution; word pieces join their word."""
    span = max((abs(v) for v in values), default=0.0) or 1.0
    parts = []
    for token, value in zip(tokens, values, strict=True):
        alpha = 0.85 * abs(value) / span
        rgb = "214,40,40" if value >= 0 else "30,110,200"
        piece = token.startswith("##")
        shown = html.escape(token[2:] if piece else token)
        parts.append(("" if piece else " ") + f'<span title="{value:+.4f}" style="background:'
                     f'rgba({rgb},{alpha:.2f});padding:1px 3px;border-radius:3px">{shown}</span>')
    return '<div style="font-size:1.15em;line-height:2">' + "".join(parts).strip() + "</div>"


def signed_bars(names: list[str], values: list[float], title: str) -> go.Figure:
    """One horizontal bar per name (top to bottom in order), red positive, blue negative."""
    colours = ["#d62828" if v >= 0 else "#1e6ec8" for v in values]
    labels = _unique(names)
    figure = go.Figure(go.Bar(x=values, y=labels, orientation="h", marker_color=colours,
                              hovertemplate="%{y}: %{x:+.4f}<extra></extra>"))
    figure.update_layout(title=title, height=120 + 22 * len(names), margin=MARGIN,
                         yaxis={"autorange": "reversed"})
    return figure


def attention_bars(names: list[str], weights: list[float], title: str) -> go.Figure:
    labels = _unique(names)
    figure = go.Figure(go.Bar(x=weights, y=labels, orientation="h", marker_color="#2a9d8f",
                              hovertemplate="%{y}: %{x:.3f}<extra></extra>"))
    figure.update_layout(title=title, height=120 + 22 * len(names), margin=MARGIN,
                         yaxis={"autorange": "reversed"}, xaxis={"range": [0, 1]})
    return figure


def _unique(names: list[str]) -> list[str]:
    """Plotly merges equal category labels, so repeated tokens get their position appended."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return out


def _small(rgb: np.ndarray) -> np.ndarray:
    step = max(1, int(np.ceil(max(rgb.shape[:2]) / MAX_SIDE)))
    return rgb[::step, ::step]


def zone_overlay(rgb: np.ndarray, names: list[str], values: list[float]) -> go.Figure:
    """The picture (left) and the same picture with each horizontal zone tinted (right)."""
    picture = _small(rgb)
    height = picture.shape[0]
    figure = make_subplots(rows=1, cols=2, horizontal_spacing=0.02,
                           subplot_titles=("image", "zone attributions"))
    for col in (1, 2):
        figure.add_trace(go.Image(z=picture, hoverinfo="skip"), row=1, col=col)
    span = max((abs(v) for v in values), default=0.0) or 1.0
    bounds = np.linspace(0, height, len(values) + 1)
    for name, value, top, bottom in zip(names, values, bounds[:-1], bounds[1:], strict=True):
        rgb_fill = "214,40,40" if value >= 0 else "30,110,200"
        figure.add_shape(type="rect", x0=0, x1=picture.shape[1], y0=top, y1=bottom,
                         fillcolor=f"rgba({rgb_fill},{0.65 * abs(value) / span:.2f})",
                         line={"width": 1, "color": "white"}, row=1, col=2)
        figure.add_annotation(x=6, y=top + 14, text=f"{name}: {value:+.3f}", showarrow=False,
                              xanchor="left", bgcolor="rgba(255,255,255,0.7)", row=1, col=2)
    return _picture_layout(figure, picture)


def pixel_overlay(rgb: np.ndarray, pixels: np.ndarray) -> go.Figure:
    """The picture (left) and the pixel attribution over it (right), symmetric colour scale."""
    picture = _small(rgb)
    field = _resize(np.asarray(pixels, np.float32), picture.shape[:2])
    span = float(np.abs(field).max()) or 1.0
    figure = make_subplots(rows=1, cols=2, horizontal_spacing=0.02,
                           subplot_titles=("image", "pixel attribution"))
    figure.add_trace(go.Image(z=picture, hoverinfo="skip"), row=1, col=1)
    figure.add_trace(go.Image(z=picture, hoverinfo="skip"), row=1, col=2)
    figure.add_trace(go.Heatmap(z=field, colorscale=SIGNED, zmin=-span, zmax=span, opacity=0.55,
                                hovertemplate="%{z:+.4f}<extra></extra>"), row=1, col=2)
    return _picture_layout(figure, picture)


def _resize(values: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Nearest-neighbour resize with numpy only (the map only needs to line up)."""
    rows = (np.arange(shape[0]) * values.shape[0] / shape[0]).astype(int)
    cols = (np.arange(shape[1]) * values.shape[1] / shape[1]).astype(int)
    return values[rows][:, cols]


def _picture_layout(figure: go.Figure, picture: np.ndarray) -> go.Figure:
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False, autorange="reversed")
    figure.update_layout(height=int(picture.shape[0] * 1.05) + 60, margin=MARGIN)
    return figure


def facial_heatmap(facial: np.ndarray, windows: list[str], features: list[str],
                   title: str) -> go.Figure:
    """DAIC: Integrated Gradients per utterance window (rows) and OpenFace feature (columns)."""
    values = np.asarray(facial, np.float32)
    span = float(np.abs(values).max()) or 1.0
    figure = go.Figure(go.Heatmap(z=values, x=features, y=windows, colorscale=SIGNED, zmin=-span,
                                  zmax=span, hovertemplate="%{y} · %{x}: %{z:+.4f}<extra></extra>"))
    figure.update_layout(title=title, height=160 + 26 * len(windows), margin=MARGIN,
                         yaxis={"autorange": "reversed"})
    return figure


def attention_heatmap(matrix: np.ndarray, rows: list[str], columns: list[str],
                      title: str) -> go.Figure:
    """Attention weights: each row (query step) is a distribution over the columns (key steps)."""
    values = np.asarray(matrix, np.float32)
    figure = go.Figure(go.Heatmap(z=values, x=_unique(columns), y=_unique(rows), zmin=0,
                                  colorscale="Viridis",
                                  hovertemplate="%{y} → %{x}: %{z:.3f}<extra></extra>"))
    figure.update_layout(title=title, height=min(160 + 22 * len(rows), 900), margin=MARGIN,
                         yaxis={"autorange": "reversed"}, xaxis={"tickangle": -60})
    return figure


def probability_table(probabilities: dict[str, dict[str, float]]) -> list[dict[str, object]]:
    """Rows {task, class, probability} for st.dataframe."""
    return [{"task": task, "class": name, "probability": round(p, 4)}
            for task, classes in probabilities.items() for name, p in classes.items()]
