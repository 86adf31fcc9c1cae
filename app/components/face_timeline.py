"""A plotly timeline of an utterance's facial action units, gaze and head pose."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

AU_SHOWN = ("AU04_r", "AU12_r", "AU15_r", "AU01_r", "AU06_r")  # brow lowerer, smile, lip corner...
GAZE_SHOWN = ("x_h0", "y_h0")
POSE_SHOWN = ("Rx", "Ry", "Rz")


def with_gaps(frames: pd.DataFrame) -> pd.DataFrame:
    """Frames with an empty row where OpenFace lost the face (frames dropped for success == 0):
    the lines break there instead of drawing a straight line across the missing time. A gap is
    a step over 1.5 times the median frame interval."""
    if len(frames) < 3:
        return frames
    frames = frames.sort_values("timestamp").reset_index(drop=True)
    steps = frames["timestamp"].diff()
    jumps = steps[steps > 1.5 * steps.median()].index
    if jumps.empty:
        return frames
    breaks = pd.DataFrame({"timestamp": (frames["timestamp"][jumps - 1].to_numpy()
                                         + frames["timestamp"][jumps].to_numpy()) / 2})
    return pd.concat([frames, breaks]).sort_values("timestamp", kind="stable")


def face_timeline_figure(frames: pd.DataFrame) -> go.Figure:
    frames = with_gaps(frames)
    figure = make_subplots(rows=3, cols=1, shared_xaxes=True, vertical_spacing=0.06,
                           subplot_titles=("Action units (intensity)", "Gaze (head frame)",
                                           "Head pose (radians)"))
    for row, columns in enumerate((AU_SHOWN, GAZE_SHOWN, POSE_SHOWN), start=1):
        for column in columns:
            if column in frames:
                figure.add_trace(go.Scatter(x=frames["timestamp"], y=frames[column],
                                            name=column, mode="lines"), row=row, col=1)
    figure.update_layout(height=420, margin={"t": 30, "b": 10, "l": 10, "r": 10})
    figure.update_xaxes(title_text="seconds", row=3, col=1)
    return figure
