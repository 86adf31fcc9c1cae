"""Read DAIC-WOZ (AVEC 2017) and E-DAIC (AVEC 2019) label files into per-session labels.

Headers are matched ignoring case and spaces, `PHQ_*` names map to `PHQ8_*`, `\\r` is stripped;
the binary label is recomputed from the score (depressed means PHQ8 >= 10).
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from amm_core.data.daic_transcript import data_lines, decode_text, parse_time
from amm_core.data.records import ImportFailure

DEPRESSED_FROM = 10  # PHQ8 score at or above which a session counts as depressed
PHQ8_ITEMS = (
    "phq8_nointerest",
    "phq8_depressed",
    "phq8_sleep",
    "phq8_tired",
    "phq8_appetite",
    "phq8_failure",
    "phq8_concentrating",
    "phq8_moving",
)
# Label files in reading order: (file name, split, has labels). A session keeps its first split.
DAIC_LABEL_FILES = (
    ("train_split_Depression_AVEC2017.csv", "train", True),
    ("dev_split_Depression_AVEC2017.csv", "dev", True),
    ("full_test_split.csv", "test", True),
    ("test_split_Depression_AVEC2017.csv", "test", False),
)
EDAIC_LABEL_FILES = (
    ("train_split.csv", "train", True),
    ("dev_split.csv", "dev", True),
    ("test_split.csv", "test", True),
)
_COLUMN_ALIASES = {"phq_binary": "phq8_binary", "phq_score": "phq8_score"}
_GENDERS = {
    "1": "male",
    "0": "female",
    "male": "male",
    "female": "female",
    "m": "male",
    "f": "female",
}
SKIP_LABEL_ROW = "bad_label_row"


@dataclass
class SessionLabel:
    """A session's split and labels; `depression` is recomputed from the score when present."""

    split: str
    gender: str = "unknown"
    phq8_score: int | None = None
    reported_binary: int | None = None
    items: dict[str, int | None] = field(default_factory=dict)

    @property
    def depression(self) -> int | None:
        if self.phq8_score is not None:
            return int(self.phq8_score >= DEPRESSED_FROM)
        return self.reported_binary


@dataclass
class LabelTable:
    """Labels by 3-digit session id, the files read, skipped rows and notes."""

    sessions: dict[str, SessionLabel] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)


def read_labels(
    folder: Path, files: tuple[tuple[str, str, bool], ...] = DAIC_LABEL_FILES
) -> LabelTable:
    """Read whichever of `files` exist in `folder` (none existing is not an error)."""
    table = LabelTable()
    for name, split, labelled in files:
        path = Path(folder) / name
        if path.is_file():
            _read_file(path, split, labelled, table)
            table.files.append(name)
    if not table.files:
        table.notes.append(f"no label files found in {folder}: every session is unlabelled")
    _note_disagreements(table)
    return table


def _read_file(path: Path, split: str, labelled: bool, table: LabelTable) -> None:
    lines = data_lines(decode_text(path.read_bytes(), path.name))
    records = list(csv.reader(lines))
    if not records:
        raise ImportFailure(f"{path.name}: empty label file (no header row)")
    columns = _columns(path.name, records[0], labelled)
    duplicates: list[str] = []
    for record in records[1:]:
        values = dict(zip(columns, (cell.strip() for cell in record), strict=False))
        session_id = _session_id(values.get("participant_id", ""))
        if session_id is None or len(record) > len(columns):
            table.skipped[SKIP_LABEL_ROW] += 1
            continue
        label = _label(values, split)
        known = table.sessions.get(session_id)
        if known is None:
            table.sessions[session_id] = label
        elif known.split != split:
            duplicates.append(session_id)
        else:
            _merge(known, label)
    if duplicates:
        table.notes.append(
            f"{path.name}: {len(duplicates)} session(s) already listed in another split kept "
            f"their first split: {', '.join(duplicates)}"
        )


def _columns(file_name: str, header: list[str], labelled: bool) -> list[str]:
    columns = [_COLUMN_ALIASES.get(n, n) for n in (c.strip().lower() for c in header)]
    missing = ["Participant_ID"] if "participant_id" not in columns else []
    if labelled and not {"phq8_score", "phq8_binary"} & set(columns):
        missing.append("PHQ8_Score")
    if missing:
        raise ImportFailure(
            f"{file_name}: missing column(s) {', '.join(repr(m) for m in missing)} "
            f"(header: {','.join(c.strip() for c in header)[:120]!r})"
        )
    return columns


def _session_id(value: str) -> str | None:
    number = parse_time(value)
    if number is None or number != int(number) or number < 0:
        return None
    return f"{int(number):03d}"


def _int_cell(value: str | None) -> int | None:
    number = parse_time(value or "")
    return int(round(number)) if number is not None else None


def _label(values: dict[str, str], split: str) -> SessionLabel:
    return SessionLabel(
        split=split,
        gender=_GENDERS.get(values.get("gender", "").strip().lower(), "unknown"),
        phq8_score=_int_cell(values.get("phq8_score")),
        reported_binary=_int_cell(values.get("phq8_binary")),
        items={item: _int_cell(values[item]) for item in PHQ8_ITEMS if item in values},
    )


def _merge(known: SessionLabel, extra: SessionLabel) -> None:
    """Fill what the first file of a split lacked (e.g. test gender from the no-label file)."""
    if known.gender == "unknown":
        known.gender = extra.gender
    if known.phq8_score is None:
        known.phq8_score = extra.phq8_score
    if known.reported_binary is None:
        known.reported_binary = extra.reported_binary
    for item, value in extra.items.items():
        if known.items.get(item) is None:
            known.items[item] = value


def _note_disagreements(table: LabelTable) -> None:
    disagree = sorted(
        session_id
        for session_id, label in table.sessions.items()
        if label.phq8_score is not None
        and label.reported_binary is not None
        and label.reported_binary != label.depression
    )
    if disagree:
        table.notes.append(
            f"{len(disagree)} session(s) whose PHQ8 binary disagrees with score >= "
            f"{DEPRESSED_FROM}; the label was recomputed from the score: {', '.join(disagree)}"
        )
