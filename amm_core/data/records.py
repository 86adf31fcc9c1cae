"""The records every corpus reader produces: a `Sample` per post or utterance, and the result."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

SPLITS = ("train", "dev", "test")
GENDERS = ("female", "male", "unknown")

# MGID's six emotions in the fixed class order the model uses (case-normalised from the CSV).
MGID_EMOTIONS = ("depressed", "neutral", "happiness", "fear", "surprise", "anger")
# DAIC-WOZ utterance emotion labels (filled by annotation, issue 4).
DAIC_EMOTIONS = ("non-sad", "sad")


class ImportFailure(Exception):
    """A corpus cannot be read as a whole; the message is one line naming the file and problem."""


@dataclass
class Sample:
    """One annotation / prediction unit: an MGID post or a DAIC utterance.

    `external_id` is stable across re-imports (MGID: `<split>:<row>`, DAIC: `<session>_<row>`).
    `depression_label` is 1 (depressed) / 0 / None (unknown); `emotion_label` a label name or None.
    """

    external_id: str
    split: str | None
    text: str
    title: str | None = None
    context: str | None = None
    media_path: str | None = None
    media_kind: str | None = None  # "image" | "video" | "openface" | None
    session_id: str | None = None
    participant_id: str | None = None
    start_time: float | None = None
    stop_time: float | None = None
    gender: str | None = None
    depression_label: int | None = None
    emotion_label: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def as_row(self) -> dict[str, Any]:
        """Plain column values, for the storage layer."""
        return asdict(self)


@dataclass
class ImportResult:
    """What a reader found: the samples plus a JSON-ready summary (counts, skips, audits)."""

    kind: str  # "mgid" | "daic" | "edaic" | ...
    samples: list[Sample]
    summary: dict[str, Any]
    label_sets: dict[str, list[str]]
    source: str

    def split_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for sample in self.samples:
            key = sample.split or "unsplit"
            counts[key] = counts.get(key, 0) + 1
        return counts
