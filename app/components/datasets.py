"""Figures and tables about datasets: label distribution per split."""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.express as px
from plotly.graph_objects import Figure


def label_distribution_figure(label_rows: list[dict[str, Any]], task: str, title: str) -> Figure:
    """Stacked bars: samples per split, coloured by the `task` label (depression or emotion)."""
    frame = pd.DataFrame(label_rows)
    column = f"{task}_label"
    frame["split"] = frame["split"].fillna("unsplit")
    if task == "depression":
        names = {1: "depressed", 0: "not depressed"}
        frame[column] = frame[column].map(lambda v: names.get(v, "unknown"))
    else:
        frame[column] = frame[column].fillna("unlabelled")
    counts = frame.groupby(["split", column], as_index=False)["count"].sum()
    figure = px.bar(counts, x="split", y="count", color=column, title=title, barmode="stack",
                    category_orders={"split": ["train", "dev", "test", "unsplit"]})
    figure.update_layout(height=320, margin={"t": 40, "b": 10, "l": 10, "r": 10},
                         legend_title_text=task)
    return figure


def splits_table(splits: dict[str, int]) -> pd.DataFrame:
    order = [s for s in ("train", "dev", "test", "unsplit") if s in splits]
    order += sorted(set(splits) - set(order))
    return pd.DataFrame({"split": order, "samples": [splits[s] for s in order]})


def describe_counts(counts: dict[str, int]) -> str:
    """'182 ellie row, 8 sync marker' from {'ellie_row': 182, 'sync_marker': 8, 'empty': 0}."""
    parts = [f"{n:,} {name.replace('_', ' ')}" for name, n in counts.items() if n]
    return ", ".join(parts) if parts else "none"
