"""Read a DAIC-WOZ (or E-DAIC) corpus folder into one `Sample` per participant utterance.

Only transcripts and label files are read here; OpenFace and audio are read on demand by
`openface.py` and `daic_audio.py` from the `session_path` kept in each sample's meta.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from amm_core.data import edaic
from amm_core.data.daic_audio import has_audio
from amm_core.data.daic_labels import (
    DAIC_LABEL_FILES,
    EDAIC_LABEL_FILES,
    SKIP_LABEL_ROW,
    LabelTable,
    SessionLabel,
    read_labels,
)
from amm_core.data.daic_sessions import SessionFiles, find_sessions
from amm_core.data.daic_transcript import (
    AUDIO_OFFSETS,
    SKIP_ELLIE,
    SKIP_EMPTY,
    SKIP_GARBAGE,
    SKIP_INTERRUPTION,
    SKIP_SCRUBBED,
    SKIP_SYNC,
    TranscriptResult,
    Utterance,
    daic_utterances,
)
from amm_core.data.openface import has_openface
from amm_core.data.records import DAIC_EMOTIONS, SPLITS, ImportFailure, ImportResult, Sample

DEPRESSION_NAMES = ["not depressed", "depressed"]
UNLABELLED = "unlabelled"
SKIP_REASONS = (
    SKIP_ELLIE,
    SKIP_EMPTY,
    SKIP_SYNC,
    SKIP_SCRUBBED,
    SKIP_INTERRUPTION,
    SKIP_GARBAGE,
    SKIP_LABEL_ROW,
)
NOTE_ID_LIMIT = 20


@dataclass(frozen=True)
class Flavour:
    """What differs between DAIC-WOZ and E-DAIC: file names, transcript rule, label files."""

    kind: str
    transcript_name: Callable[[str], str]
    utterances: Callable[[str, bytes, str], TranscriptResult]
    label_files: tuple[tuple[str, str, bool], ...]
    labels_folder: Callable[[Path], Path]
    audio_offsets: dict[str, float]


DAIC = Flavour(
    "daic",
    lambda session_id: f"{session_id}_TRANSCRIPT.csv",
    daic_utterances,
    DAIC_LABEL_FILES,
    lambda labels_dir: labels_dir,
    AUDIO_OFFSETS,
)
# E-DAIC transcripts come from speech recognition on the audio itself: no offsets to correct.
EDAIC = Flavour(
    "edaic",
    edaic.transcript_name,
    edaic.edaic_utterances,
    EDAIC_LABEL_FILES,
    edaic.labels_folder,
    {},
)


@dataclass
class _Tally:
    """Counts gathered while reading sessions."""

    skipped: Counter[str] = field(default_factory=Counter)
    by_split: Counter[str] = field(default_factory=Counter)
    without: Counter[str] = field(default_factory=Counter)
    unlabelled_ids: list[str] = field(default_factory=list)


def read_daic(root: Path, labels_dir: Path | None = None) -> ImportResult:
    """Read every session under `root` (folders or zips) with labels from `labels_dir`.

    `labels_dir` defaults to `root`. E-DAIC is detected (a `labels/` folder with its split files,
    or `<pid>_Transcript.csv` sessions) and returned with kind "edaic".
    """
    root = Path(root)
    if not root.is_dir():
        problem = "is not a folder" if root.exists() else "DAIC-WOZ folder not found"
        raise ImportFailure(f"{root}: {problem}")
    if labels_dir is not None and not Path(labels_dir).is_dir():
        raise ImportFailure(f"{labels_dir}: labels folder not found")
    explicit, labels_dir = labels_dir is not None, Path(labels_dir or root)
    sessions, notes = find_sessions(root)
    if not sessions:
        raise ImportFailure(
            f"{root}: no DAIC-WOZ sessions found (expected XXX_P folders or XXX_P.zip files)"
        )
    flavour = EDAIC if edaic.looks_like_edaic(labels_dir, sessions) else DAIC
    labels = read_labels(flavour.labels_folder(labels_dir), flavour.label_files)
    if explicit and not labels.files:  # a wrong --labels folder would unlabel every session
        wanted = ", ".join(name for name, _, _ in flavour.label_files)
        raise ImportFailure(f"{labels_dir}: none of the {flavour.kind} label files ({wanted}) in "
                            "the --labels folder; nothing imported")
    tally = _Tally(skipped=Counter(labels.skipped))
    samples: list[Sample] = []
    for files in sessions:
        samples.extend(_read_session(files, flavour, labels.sessions.get(files.session_id), tally))
    summary = _summary(sessions, samples, labels, tally, notes)
    return ImportResult(
        kind=flavour.kind,
        samples=samples,
        summary=summary,
        label_sets={"depression": list(DEPRESSION_NAMES), "emotion": list(DAIC_EMOTIONS)},
        source=str(root),
    )


def _read_session(
    files: SessionFiles, flavour: Flavour, label: SessionLabel | None, tally: _Tally
) -> list[Sample]:
    session_id = files.session_id
    facts = {
        "source": files.source,
        "session_path": str(files.path),
        "has_audio": has_audio(files),
        "has_openface": has_openface(files),
        "audio_offset": flavour.audio_offsets.get(session_id, 0.0),
        "phq8_score": label.phq8_score if label else None,
    }
    tally.by_split[label.split if label else UNLABELLED] += 1
    if label is None:
        tally.unlabelled_ids.append(session_id)
    if label is None or label.depression is None:
        tally.without["labels"] += 1
    tally.without["audio"] += not facts["has_audio"]
    tally.without["openface"] += not facts["has_openface"]
    transcript = flavour.transcript_name(session_id)
    if not files.has(transcript):
        tally.without["transcript"] += 1
        return []
    data = files.read_bytes(transcript)
    result = flavour.utterances(session_id, data, files.display(transcript))
    tally.skipped.update(result.skipped)
    return [_sample(session_id, u, label, facts) for u in result.utterances]


def _sample(
    session_id: str, utterance: Utterance, label: SessionLabel | None, facts: dict[str, Any]
) -> Sample:
    meta = {
        "row_index": utterance.row_index,
        "raw_value": utterance.raw_value,
        "tag_only": utterance.tag_only,
        **facts,
    }
    if utterance.confidence is not None:
        meta["confidence"] = utterance.confidence
    return Sample(
        external_id=f"{session_id}_{utterance.row_index}",
        split=label.split if label else None,
        text=utterance.text,
        context=utterance.context,
        media_path=facts["session_path"] if facts["has_openface"] else None,
        media_kind="openface" if facts["has_openface"] else None,
        session_id=session_id,
        participant_id=session_id,
        start_time=utterance.start,
        stop_time=utterance.stop,
        gender=label.gender if label else "unknown",
        depression_label=label.depression if label else None,
        meta=meta,
    )


def _summary(
    sessions: list[SessionFiles],
    samples: list[Sample],
    labels: LabelTable,
    tally: _Tally,
    notes: list[str],
) -> dict[str, Any]:
    found = {files.session_id for files in sessions}
    not_found = sorted(set(labels.sessions) - found)
    all_notes = [*notes, *labels.notes]
    if tally.unlabelled_ids:
        all_notes.append(
            f"{len(tally.unlabelled_ids)} session(s) in no label file (split None): "
            + _ids(tally.unlabelled_ids)
        )
    if not_found:
        all_notes.append(
            f"{len(not_found)} labelled session(s) not found under the root: {_ids(not_found)}"
        )
    return {
        "sessions": len(sessions),
        "sessions_by_split": {key: tally.by_split[key] for key in (*SPLITS, UNLABELLED)},
        "utterances": len(samples),
        "skipped": {reason: tally.skipped[reason] for reason in SKIP_REASONS},
        "sessions_without_transcript": tally.without["transcript"],
        "sessions_without_openface": tally.without["openface"],
        "sessions_without_audio": tally.without["audio"],
        "sessions_without_labels": tally.without["labels"],
        "labelled_sessions_not_found": len(not_found),
        "label_files": list(labels.files),
        "notes": all_notes,
    }


def _ids(ids: list[str]) -> str:
    shown = ", ".join(ids[:NOTE_ID_LIMIT])
    return shown + (f" (+{len(ids) - NOTE_ID_LIMIT} more)" if len(ids) > NOTE_ID_LIMIT else "")
