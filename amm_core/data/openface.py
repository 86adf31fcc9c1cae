"""Read a session's OpenFace features (DAIC-WOZ CLNF files or E-DAIC OpenFace 2.1.0) per utterance.

The 38 features are 20 action units, 12 gaze and 6 pose columns, named as in DAIC-WOZ.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pandas as pd

from amm_core.data.daic_sessions import SessionFiles
from amm_core.data.edaic import openface_name as edaic_openface_name
from amm_core.data.records import ImportFailure

AU_COLUMNS = (
    "AU01_r", "AU02_r", "AU04_r", "AU05_r", "AU06_r", "AU09_r", "AU10_r", "AU12_r", "AU14_r",
    "AU15_r", "AU17_r", "AU20_r", "AU25_r", "AU26_r",
    "AU04_c", "AU12_c", "AU15_c", "AU23_c", "AU28_c", "AU45_c",
)  # fmt: skip
GAZE_COLUMNS = (
    "x_0", "y_0", "z_0", "x_1", "y_1", "z_1",
    "x_h0", "y_h0", "z_h0", "x_h1", "y_h1", "z_h1",
)  # fmt: skip
POSE_COLUMNS = ("Tx", "Ty", "Tz", "Rx", "Ry", "Rz")
OPENFACE_FEATURES = AU_COLUMNS + GAZE_COLUMNS + POSE_COLUMNS
LEADING_COLUMNS = ("frame", "timestamp", "confidence", "success")
KIND_COLUMNS = {"AUs": AU_COLUMNS, "gaze": GAZE_COLUMNS, "pose": POSE_COLUMNS}
FRAME_COLUMNS = ("timestamp", *OPENFACE_FEATURES)
# OpenFace 2.1.0 (E-DAIC) names for the DAIC-WOZ world-space gaze and pose columns; AU names are
# shared. It has no head-space gaze, so x_h*/y_h*/z_h* are computed by rotating the world gaze
# into the head frame with the pose rotation (an approximation of the CLNF columns).
OPENFACE2_NAMES = {
    "x_0": "gaze_0_x", "y_0": "gaze_0_y", "z_0": "gaze_0_z",
    "x_1": "gaze_1_x", "y_1": "gaze_1_y", "z_1": "gaze_1_z",
    "Tx": "pose_Tx", "Ty": "pose_Ty", "Tz": "pose_Tz",
    "Rx": "pose_Rx", "Ry": "pose_Ry", "Rz": "pose_Rz",
}  # fmt: skip
CACHED_SESSIONS = 4


def clnf_name(session_id: str, kind: str) -> str:
    return f"{session_id}_CLNF_{kind}.txt"


def has_openface(files: SessionFiles) -> bool:
    """True when the session has the AU, gaze and pose files (or E-DAIC's single file)."""
    if all(files.has(clnf_name(files.session_id, kind)) for kind in KIND_COLUMNS):
        return True
    return files.has(edaic_openface_name(files.session_id))


def read_openface(session_path: Path, session_id: str, kind: str) -> pd.DataFrame:
    """One OpenFace file (`kind` "AUs", "gaze" or "pose") without its `success == 0` frames.

    Columns: frame, timestamp, confidence, success, then the kind's feature columns. For E-DAIC the
    columns come from the OpenFace 2.1.0 file, renamed to the DAIC-WOZ names.
    """
    if kind not in KIND_COLUMNS:
        raise ValueError(f"OpenFace kind {kind!r} is not one of {', '.join(KIND_COLUMNS)}")
    files = SessionFiles.open_path(Path(session_path), session_id)
    wanted = [*LEADING_COLUMNS, *KIND_COLUMNS[kind]]
    name = clnf_name(session_id, kind)
    if files.has(name):
        return _read_table(files, name, wanted)
    if files.has(edaic_openface_name(session_id)):
        return _read_openface2(files)[wanted].reset_index(drop=True)
    raise FileNotFoundError(f"{files.path.name}: no {name} (and no OpenFace 2.1.0 file)")


def utterance_frames(
    session_path: Path, session_id: str, start: float, stop: float
) -> pd.DataFrame:
    """Frames with `start <= timestamp <= stop` and success 1: columns timestamp + 38 features.

    Empty (same columns) when the session has no OpenFace files or the span is past the video.
    """
    path = Path(session_path).resolve()
    stat = path.stat()
    frames = _session_frames(str(path), session_id, stat.st_mtime_ns, stat.st_size)
    inside = frames["timestamp"].between(start, stop)
    return frames.loc[inside, list(FRAME_COLUMNS)].reset_index(drop=True)


@functools.lru_cache(maxsize=CACHED_SESSIONS)
def _session_frames(path: str, session_id: str, mtime_ns: int, size: int) -> pd.DataFrame:
    """All successful frames of a session (cached: one session serves many utterances)."""
    del mtime_ns, size  # part of the cache key only
    files = SessionFiles.open_path(Path(path), session_id)
    if all(files.has(clnf_name(session_id, kind)) for kind in KIND_COLUMNS):
        merged = read_openface(Path(path), session_id, "AUs")
        for kind in ("gaze", "pose"):
            table = read_openface(Path(path), session_id, kind)
            merged = merged.merge(table[["frame", *KIND_COLUMNS[kind]]], on="frame", how="inner")
        return merged[list(FRAME_COLUMNS)].sort_values("timestamp", kind="stable")
    if files.has(edaic_openface_name(session_id)):
        return _read_openface2(files)[list(FRAME_COLUMNS)]
    return pd.DataFrame({column: pd.Series(dtype=float) for column in FRAME_COLUMNS})


def _read_table(files: SessionFiles, name: str, wanted: list[str]) -> pd.DataFrame:
    """A `, `-separated OpenFace file: numeric columns, names stripped, success == 1 rows only."""
    try:
        with files.open(name) as handle:
            table = pd.read_csv(handle, sep=",", skipinitialspace=True, low_memory=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        problem = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ImportFailure(
            f"{files.display(name)}: not a readable OpenFace file ({problem})"
        ) from exc
    table.columns = [str(column).strip() for column in table.columns]
    missing = [column for column in wanted if column not in table.columns]
    if missing:
        raise ImportFailure(
            f"{files.display(name)}: missing column(s) {', '.join(repr(c) for c in missing[:5])}"
        )
    table = table[wanted].apply(pd.to_numeric, errors="coerce")
    return table[table["success"] == 1].reset_index(drop=True)


def _read_openface2(files: SessionFiles) -> pd.DataFrame:
    """E-DAIC's OpenFace 2.1.0 file with DAIC-WOZ column names (head-space gaze computed)."""
    name = edaic_openface_name(files.session_id)
    source_columns = [*LEADING_COLUMNS, *AU_COLUMNS, *OPENFACE2_NAMES.values()]
    table = _read_table(files, name, source_columns)
    table = table.rename(columns={v: k for k, v in OPENFACE2_NAMES.items()})
    for eye in ("0", "1"):
        world = table[[f"x_{eye}", f"y_{eye}", f"z_{eye}"]].to_numpy(dtype=float)
        head = _world_to_head(world, table[["Rx", "Ry", "Rz"]].to_numpy(dtype=float))
        for axis, column in enumerate(("x_h", "y_h", "z_h")):
            table[f"{column}{eye}"] = head[:, axis]
    return table[[*LEADING_COLUMNS, *OPENFACE_FEATURES]]


def _world_to_head(vectors: np.ndarray, euler: np.ndarray) -> np.ndarray:
    """Rotate (N, 3) world vectors into the head frame: R^T v with OpenFace's R = Rx Ry Rz."""
    s1, s2, s3 = np.sin(euler).T
    c1, c2, c3 = np.cos(euler).T
    rotation = np.stack(
        [
            np.stack([c2 * c3, -c2 * s3, s2], axis=-1),
            np.stack([c1 * s3 + c3 * s1 * s2, c1 * c3 - s1 * s2 * s3, -c2 * s1], axis=-1),
            np.stack([s1 * s3 - c1 * c3 * s2, c3 * s1 + c1 * s2 * s3, c1 * c2], axis=-1),
        ],
        axis=1,
    )  # (N, 3, 3)
    return np.einsum("nji,nj->ni", rotation, vectors)  # (N, 3)
