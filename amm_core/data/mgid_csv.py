"""Parse MGID's CSV files (BOM, quoting, header quirks) and Getty image URLs into typed rows.

Shared by the reader (`mgid.py`) and the image downloader (`mgid_download.py`).
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from amm_core.data.records import MGID_EMOTIONS, SPLITS, ImportFailure

# The header of every MGID CSV, in file order; matched ignoring case and surrounding spaces.
HEADER = ("Depression Label", "Emotion Label", "Title", "Text", "Image URL")
ALL_ROWS_FILE = "dataset.csv"
# Prefix of external ids (and of split-index image names) when only dataset.csv exists.
UNSPLIT_PREFIX = "dataset"

SKIP_FIELDS = "wrong number of fields"
SKIP_DEPRESSION = "bad depression label"
SKIP_EMOTION = "unknown emotion"

_DEPRESSION_VALUES = {"true": 1, "false": 0}
_ASSET_WORD = {"photos": "picture", "illustrations": "illustration", "vectors": "vector"}
_URL_PATH = re.compile(
    r"^/(?P<kind>photos|illustrations|vectors)/(?:[^/]*-)?"
    r"(?P<asset>picture|illustration|vector)-id(?P<id>\d+)/?$",
    re.IGNORECASE,
)
_BARE_URL = re.compile(r"^(?:https?://|www\.)\S+$", re.IGNORECASE)


@dataclass(frozen=True)
class AssetRef:
    """A Getty asset named by an image URL: its numeric id and its kind (e.g. "photos")."""

    asset_id: str
    kind: str


@dataclass(frozen=True)
class MgidRow:
    """One valid data record. `row` is its 0-based position among the file's data records."""

    split: str | None
    row: int
    depression: int
    emotion: str
    title: str
    text: str
    image_url: str
    asset: AssetRef | None

    @property
    def prefix(self) -> str:
        return self.split or UNSPLIT_PREFIX

    @property
    def external_id(self) -> str:
        return f"{self.prefix}:{self.row}"

    @property
    def text_is_url(self) -> bool:
        return bool(_BARE_URL.match(self.text))


@dataclass
class MgidFile:
    """One CSV file: its valid rows, how many data records it held, and why others were skipped."""

    name: str
    split: str | None
    records: int = 0
    rows: list[MgidRow] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)


@dataclass
class MgidCorpus:
    """All CSV files found under a folder, plus notes for people about how they were chosen."""

    files: list[MgidFile]
    notes: list[str]

    @property
    def rows(self) -> list[MgidRow]:
        return [row for f in self.files for row in f.rows]


def parse_image_url(url: str) -> AssetRef | None:
    """The asset of `http(s)://<any host>/<kind>/<slug>-<asset>-id<digits>[?query]`, else None."""
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    match = _URL_PATH.match(parts.path)
    if match is None:
        return None
    kind = match["kind"].lower()
    if _ASSET_WORD[kind] != match["asset"].lower():
        return None
    return AssetRef(asset_id=match["id"], kind=kind)


def read_mgid_corpus(csv_dir: Path) -> MgidCorpus:
    """Read train/dev/test CSVs under `csv_dir`; fall back to dataset.csv (split None) alone.

    dataset.csv is ignored when any split file exists, because it repeats the splits' rows.
    """
    csv_dir = Path(csv_dir)
    if not csv_dir.is_dir():
        raise ImportFailure(f"{csv_dir}: MGID CSV folder not found")
    found = {split: _split_file(csv_dir, split) for split in SPLITS}
    present = {split: path for split, path in found.items() if path is not None}
    if present:
        notes = [
            f"{split}/{split}.csv not found: no {split} samples"
            for split in SPLITS
            if split not in present
        ]
        files = [
            read_mgid_file(path, _name(csv_dir, path), split) for split, path in present.items()
        ]
        return MgidCorpus(files=files, notes=notes)
    everything = csv_dir / ALL_ROWS_FILE
    if not everything.is_file():
        raise ImportFailure(
            f"{csv_dir}: no train/train.csv, dev/dev.csv, test/test.csv or dataset.csv found"
        )
    note = "only dataset.csv found: all rows imported without a split (ids 'dataset:<row>')"
    return MgidCorpus(files=[read_mgid_file(everything, ALL_ROWS_FILE, None)], notes=[note])


def _split_file(csv_dir: Path, split: str) -> Path | None:
    """The real zip layout `<split>/<split>.csv`; a flat `<split>.csv` is accepted too."""
    for candidate in (csv_dir / split / f"{split}.csv", csv_dir / f"{split}.csv"):
        if candidate.is_file():
            return candidate
    return None


def _name(csv_dir: Path, path: Path) -> str:
    return path.relative_to(csv_dir).as_posix()


def read_mgid_file(path: Path, name: str, split: str | None) -> MgidFile:
    """Parse one MGID CSV; `name` (e.g. 'train/train.csv') is how errors refer to the file.

    Strict quoting (DATA_FORMATS.md: standard double-quote quoting): a quote left open would
    otherwise swallow the rows after it into one field without a word."""
    records = csv.reader(io.StringIO(_decode(path, name)), strict=True)
    result = MgidFile(name=name, split=split)
    try:
        columns = _column_indices(next(records, []), name)
        for fields in records:
            if not fields:  # a blank line is not a data record
                continue
            row = result.records
            result.records += 1
            parsed = _parse_record(fields, columns, split, row)
            if isinstance(parsed, str):
                result.skipped[parsed] += 1
            else:
                result.rows.append(parsed)
    except csv.Error as exc:
        raise ImportFailure(f"{name} line {records.line_num}: {exc} (a quote left open in the "
                            f"record that starts after row {result.records}?); nothing "
                            "imported") from None
    return result


def _decode(path: Path, name: str) -> str:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFailure(
            f"{name}: not UTF-8 text (byte {exc.start}); save it as UTF-8 and import again"
        ) from exc
    except OSError as exc:
        raise ImportFailure(f"{name}: cannot be read ({exc.strerror or exc})") from exc
    if not text.strip():
        raise ImportFailure(f"{name}: empty file (expected the header {','.join(HEADER)})")
    return text


def _column_indices(header: list[str], name: str) -> list[int]:
    """Positions of the HEADER columns in this file's header (case and spaces ignored)."""
    positions = {cell.replace("\ufeff", "").strip().lower(): i for i, cell in enumerate(header)}
    missing = [column for column in HEADER if column.lower() not in positions]
    if missing:
        listed = ", ".join(f"'{column}'" for column in missing)
        raise ImportFailure(f"{name}: missing column(s) {listed}")
    return [positions[column.lower()] for column in HEADER]


def _parse_record(
    fields: list[str], columns: list[int], split: str | None, row: int
) -> MgidRow | str:
    """A valid row, or the reason (a SKIP_* string) it is skipped."""
    width = max(columns) + 1
    if len(fields) < width or any(cell.strip() for cell in fields[width:]):
        return SKIP_FIELDS
    depression_cell, emotion_cell, title, text, url = (fields[i] for i in columns)
    depression = _DEPRESSION_VALUES.get(depression_cell.strip().lower())
    if depression is None:
        return SKIP_DEPRESSION
    emotion = emotion_cell.strip().lower()
    if emotion not in MGID_EMOTIONS:
        return SKIP_EMOTION
    return MgidRow(
        split=split,
        row=row,
        depression=depression,
        emotion=emotion,
        title=title.strip(),
        text=text.replace("\r\n", "\n").strip(),
        image_url=url.strip(),
        asset=parse_image_url(url),
    )
