"""Parse DAIC-WOZ transcripts (tab separated, quirky) and apply the utterance rule.

An utterance is a Participant row with text that is not a sync marker, not `scrubbed_entry` and
not inside one of the known interruption windows; its context is the preceding Ellie line.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field

from amm_core.data.records import ImportFailure

HEADER = "start_time\tstop_time\tspeaker\tvalue"
SPEAKERS = ("Ellie", "Participant")
SYNC_MARKERS = frozenset({"<sync>", "<synch>", "<sync.", "[sync]", "[syncing]"})
SCRUBBED = "scrubbed_entry"
# Sessions whose recording was interrupted: rows overlapping these spans (seconds) are dropped.
INTERRUPTIONS: dict[str, tuple[float, float]] = {"373": (395.0, 428.0), "444": (286.0, 387.0)}
# Constant transcript-to-audio offsets (seconds to add to transcript times when cutting audio).
AUDIO_OFFSETS: dict[str, float] = {"318": 34.32, "321": 3.84, "341": 6.19, "362": 16.86}

SKIP_ELLIE = "ellie_row"
SKIP_EMPTY = "empty"
SKIP_SYNC = "sync_marker"
SKIP_SCRUBBED = "scrubbed_entry"
SKIP_INTERRUPTION = "interruption"
SKIP_GARBAGE = "garbage_row"

_SPACES = re.compile(r" {2,}")
_PROMPT_ID = re.compile(r"^\w+ \((.*)\)$")
_TAG_ONLY = re.compile(r"^(?:\s*(?:<[^<>]*>|\[[^\[\]]*\]))+\s*$")


@dataclass(frozen=True)
class TranscriptRow:
    """One non-blank data row. `index` is its 0-based position among non-blank data rows."""

    index: int
    start: float
    stop: float
    speaker: str
    raw_value: str

    @property
    def text(self) -> str:
        return clean_value(self.raw_value)


@dataclass(frozen=True)
class Utterance:
    """A participant row kept as an annotation unit, with the interviewer line before it."""

    row_index: int
    start: float
    stop: float
    text: str
    raw_value: str
    context: str | None
    tag_only: bool
    confidence: float | None = None


@dataclass
class TranscriptResult:
    utterances: list[Utterance] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)


def clean_value(value: str) -> str:
    """Strip surrounding whitespace and collapse runs of spaces."""
    return _SPACES.sub(" ", value.strip())


def strip_prompt_id(text: str) -> str:
    """`yeah3 (yeah)` -> `yeah`: Ellie's automatic lines (session 363 on) carry a prompt id."""
    match = _PROMPT_ID.match(text)
    return match.group(1).strip() if match else text


def is_tag_only(text: str) -> bool:
    """True when the text is only tags such as `<sigh>` or `[laughter]`."""
    return bool(_TAG_ONLY.match(text))


def decode_text(data: bytes, display_name: str) -> str:
    """UTF-8 text (a BOM is tolerated) or an ImportFailure naming the file."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFailure(
            f"{display_name}: not UTF-8 text (bad byte at offset {exc.start})"
        ) from exc


def data_lines(text: str) -> list[str]:
    """Lines without their LF/CRLF endings, blank lines dropped."""
    return [line.rstrip("\r") for line in text.split("\n") if line.strip()]


def parse_transcript(data: bytes, display_name: str) -> tuple[list[TranscriptRow], int]:
    """The valid rows of a DAIC-WOZ transcript and how many garbage rows were skipped."""
    lines = data_lines(decode_text(data, display_name))
    if not lines or lines[0].strip() != HEADER:
        found = repr(lines[0][:60]) if lines else "an empty file"
        raise ImportFailure(
            f"{display_name}: transcript header should be {HEADER!r} (tab separated), found {found}"
        )
    rows: list[TranscriptRow] = []
    garbage = 0
    for index, line in enumerate(lines[1:]):
        row = _parse_row(index, line)
        if row is None:
            garbage += 1
        else:
            rows.append(row)
    return rows, garbage


def _parse_row(index: int, line: str) -> TranscriptRow | None:
    fields = line.split("\t")
    if len(fields) != 4:
        return None
    start, stop = parse_time(fields[0]), parse_time(fields[1])
    speaker = fields[2].strip()
    if start is None or stop is None or speaker not in SPEAKERS:
        return None
    return TranscriptRow(index, start, stop, speaker, fields[3])


def parse_time(value: str) -> float | None:
    try:
        number = float(value.strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def skip_reason(session_id: str, text: str, start: float, stop: float) -> str | None:
    """Why a participant line is not an utterance, or None when it is one."""
    if not text:
        return SKIP_EMPTY
    if text.lower() in SYNC_MARKERS:
        return SKIP_SYNC
    if text == SCRUBBED:
        return SKIP_SCRUBBED
    if in_interruption(session_id, start, stop):
        return SKIP_INTERRUPTION
    return None


def in_interruption(session_id: str, start: float, stop: float) -> bool:
    """True when the span overlaps the session's interruption window (touching is not overlap)."""
    window = INTERRUPTIONS.get(session_id)
    return bool(window and start < window[1] and stop > window[0])


def daic_utterances(session_id: str, data: bytes, display_name: str) -> TranscriptResult:
    """Apply the utterance rule to one DAIC-WOZ transcript."""
    rows, garbage = parse_transcript(data, display_name)
    result = TranscriptResult()
    result.skipped[SKIP_GARBAGE] += garbage
    context: str | None = None
    for row in rows:
        text = row.text
        if row.speaker == "Ellie":
            result.skipped[SKIP_ELLIE] += 1
            # Sync markers and lines spoken during an interruption are no context for later rows.
            usable = text and text.lower() not in SYNC_MARKERS
            if usable and not in_interruption(session_id, row.start, row.stop):
                context = strip_prompt_id(text)
            continue
        reason = skip_reason(session_id, text, row.start, row.stop)
        if reason:
            result.skipped[reason] += 1
            continue
        result.utterances.append(
            Utterance(
                row.index, row.start, row.stop, text, row.raw_value, context, is_tag_only(text)
            )
        )
    return result
