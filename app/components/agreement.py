"""Agreement figures: a Cohen's kappa heatmap per annotator pair and a pairwise confusion."""

from __future__ import annotations

import plotly.graph_objects as go


def kappa_heatmap(annotators: list[str], kappas: dict[str, float | None]) -> go.Figure:
    n = len(annotators)
    values = [[1.0 if i == j else None for j in range(n)] for i in range(n)]
    for i, a in enumerate(annotators):
        for j, b in enumerate(annotators):
            if i != j:
                values[i][j] = kappas.get("|".join(sorted((a, b))))
    figure = go.Figure(go.Heatmap(z=values, x=annotators, y=annotators, zmin=-1, zmax=1,
                                  colorscale="RdBu", texttemplate="%{z:.2f}"))
    figure.update_layout(title="Cohen's kappa per pair", height=360,
                         margin={"t": 40, "b": 10, "l": 10, "r": 10})
    figure.update_yaxes(autorange="reversed")  # first row on top: the diagonal runs down-right
    return figure


def confusion_heatmap(pair: str, matrix: list[list[int]], labels: list[str]) -> go.Figure:
    first, second = pair.split("|")
    figure = go.Figure(go.Heatmap(z=matrix, x=labels, y=labels, colorscale="Blues",
                                  texttemplate="%{z}"))
    figure.update_layout(title=f"{first} (rows) vs {second} (columns)", height=360,
                         margin={"t": 40, "b": 10, "l": 10, "r": 10})
    figure.update_yaxes(autorange="reversed")
    return figure
