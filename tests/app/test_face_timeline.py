"""The facial-feature timeline breaks its lines where OpenFace lost the face."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from app.components.face_timeline import face_timeline_figure


def test_lines_break_over_frames_where_the_face_was_lost():
    times = [5.1, 5.2, 5.3, 5.4, 5.5, 5.6, 6.5, 6.6, 6.7]  # 5.7-6.4: success == 0, dropped
    frames = pd.DataFrame({"timestamp": times, "AU04_r": np.arange(9.0)})
    trace = face_timeline_figure(frames).data[0]
    ys = list(trace.y)
    gap = next(i for i, y in enumerate(ys) if math.isnan(y))
    assert 5.6 < list(trace.x)[gap] < 6.5 and ys[:gap] == [0, 1, 2, 3, 4, 5]
    steady = pd.DataFrame({"timestamp": times[:6], "AU04_r": np.arange(6.0)})
    assert not any(math.isnan(y) for y in face_timeline_figure(steady).data[0].y)
