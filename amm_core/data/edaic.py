"""E-DAIC (AVEC 2019) specifics: detecting it, its file names and its ASR transcripts.

E-DAIC transcripts are comma separated `Start_Time,End_Time,Text,Confidence` with no speaker
column, so every row is a participant utterance with no interviewer context.
"""

from __future__ import annotations

import csv
from pathlib import Path

from amm_core.data.daic_labels import EDAIC_LABEL_FILES
from amm_core.data.daic_sessions import SessionFiles
from amm_core.data.daic_transcript import (
    SKIP_GARBAGE,
    TranscriptResult,
    Utterance,
    clean_value,
    data_lines,
    decode_text,
    is_tag_only,
    parse_time,
    skip_reason,
)
from amm_core.data.records import ImportFailure

HEADER = ("start_time", "end_time", "text", "confidence")
LABELS_FOLDER = "labels"


def transcript_name(session_id: str) -> str:
    return f"{session_id}_Transcript.csv"


def openface_name(session_id: str) -> str:
    return f"features/{session_id}_OpenFace2.1.0_Pose_gaze_AUs.csv"


def labels_folder(labels_dir: Path) -> Path:
    """E-DAIC keeps its split files in `labels/`; accept them directly in `labels_dir` too."""
    nested = Path(labels_dir) / LABELS_FOLDER
    return nested if nested.is_dir() else Path(labels_dir)


def looks_like_edaic(labels_dir: Path, sessions: list[SessionFiles]) -> bool:
    """E-DAIC when `labels/` holds a `*_split.csv` or a session has `<pid>_Transcript.csv`."""
    nested = Path(labels_dir) / LABELS_FOLDER
    if any((nested / name).is_file() for name, _, _ in EDAIC_LABEL_FILES):
        return True
    return any(transcript_name(s.session_id) in s.members for s in sessions)


def edaic_utterances(session_id: str, data: bytes, display_name: str) -> TranscriptResult:
    """Every non-empty row of an E-DAIC transcript is an utterance (context None)."""
    lines = data_lines(decode_text(data, display_name))
    records = list(csv.reader(lines))
    header = tuple(cell.strip().lower() for cell in records[0]) if records else ()
    if header[:3] != HEADER[:3]:
        raise ImportFailure(
            f"{display_name}: transcript header should be {','.join(HEADER)!r} "
            f"(case ignored), found {','.join(header)[:60]!r}"
        )
    result = TranscriptResult()
    result.skipped[SKIP_GARBAGE] += 0
    for index, record in enumerate(records[1:]):
        utterance = _utterance(index, record, len(header))
        if utterance is None:
            result.skipped[SKIP_GARBAGE] += 1
            continue
        reason = skip_reason(session_id, utterance.text, utterance.start, utterance.stop)
        if reason:
            result.skipped[reason] += 1
        else:
            result.utterances.append(utterance)
    return result


def _utterance(index: int, record: list[str], width: int) -> Utterance | None:
    if len(record) != width:
        return None
    start, stop = parse_time(record[0]), parse_time(record[1])
    if start is None or stop is None:
        return None
    text = clean_value(record[2])
    confidence = parse_time(record[3]) if width > 3 else None
    return Utterance(index, start, stop, text, record[2], None, is_tag_only(text), confidence)
