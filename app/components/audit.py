"""Data-audit figures: each emotion's share among depressed samples per split (MGID's shift)."""

from __future__ import annotations

from typing import Any

import plotly.express as px
from plotly.graph_objects import Figure

SPLIT_ORDER = ["train", "dev", "test", "unsplit"]


def split_shift_figure(rows: list[dict[str, Any]]) -> Figure:
    """100 % stacked bars per split from `audit_services.split_shift_rows` ({split, emotion,
    share, count}): where depressed samples' emotion labels differ between splits."""
    figure = px.bar(rows, x="split", y="share", color="emotion", barmode="stack",
                    hover_data=["count"], category_orders={"split": SPLIT_ORDER},
                    title="Emotion labels of the depressed samples, per split")
    figure.update_yaxes(tickformat=".0%", title="share of depressed samples")
    figure.update_layout(height=320, margin={"t": 40, "b": 10, "l": 10, "r": 10})
    return figure
