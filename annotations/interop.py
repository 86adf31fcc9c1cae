"""Import and export annotation labels as CSV, JSONL or Label Studio JSON.

Pure standard library: parsing returns validated rows plus per-row errors; export returns text.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from annotations.interop_labelstudio import (
    Extracted,
    label_studio_records,
    label_studio_tasks,
    scalar_text,
)

EXPORT_FORMATS = ("csv", "jsonl", "label-studio")
EXPORT_SUFFIXES = {"csv": ".csv", "jsonl": ".jsonl", "label-studio": ".json"}
REQUIRED_COLUMNS = ("sample_id", "annotator", "label")
# labelled_at: when the label (or its note) last changed, ISO 8601 UTC; informative, an import
# ignores it (the events of an import are dated when they happen in this database).
EXPORT_COLUMNS = ("sample_id", "annotator", "label", "note", "text", "labelled_at")
MAX_ANNOTATOR_NAME = 100  # the annotators.name column
# The system annotator majority gold events are written by (db.annotations.MAJORITY_RULE): no
# person may label under it.
RESERVED_NAMES = ("majority rule",)


def annotator_name_problem(name: str) -> str | None:
    """Why `name` cannot name an annotator (None when it can): blank, too long, or multi-line."""
    name = name.strip()
    if not name:
        return "empty annotator"
    if len(name) > MAX_ANNOTATOR_NAME:
        return f"annotator name is {len(name)} characters long (at most {MAX_ANNOTATOR_NAME})"
    if any(ch in name for ch in "\r\n\t\x00"):
        return "annotator name contains a line break, tab or NUL character"
    if name.casefold() in RESERVED_NAMES:
        return f"annotator name '{name}' is reserved for the system"
    return None


@dataclass(frozen=True)
class AnnotationRow:
    sample_id: str
    annotator: str
    label: str
    note: str | None
    line: int


@dataclass(frozen=True)
class RowError:
    line: int
    message: str


@dataclass
class ParseResult:
    rows: list[AnnotationRow]
    errors: list[RowError]
    # Rows with neither annotator nor label (an export's "not labelled yet" rows): skipped.
    unlabelled: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class ExportRow:
    sample_id: str
    text: str
    annotator: str | None
    label: str | None
    note: str | None
    labelled_at: str | None = None


# ---------------------------------------------------------------- import


def parse_annotations(path: Path, *, label_set: Sequence[str], known_ids: set[str]) -> ParseResult:
    """Read a label file (CSV, JSONL or Label Studio export) and validate every row.

    Whole-file problems raise ValueError with one line naming the file; row problems are
    returned as RowError with the file line (CSV/JSONL) or task position (Label Studio).
    """
    path = Path(path)
    text = _read_text(path)
    fmt = _detect_format(path, text)
    if fmt == "csv":
        records = _csv_records(path, text)
    elif fmt == "jsonl":
        records = _jsonl_records(text)
    else:
        records = label_studio_records(_json_tasks(path, text))
    return _validate(records, label_set, known_ids)


def _fail(path: Path, problem: str) -> ValueError:
    return ValueError(f"{path.name}: {problem}".replace("\n", " "))


def _read_text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise _fail(path, f"cannot read the file ({exc.strerror or exc})") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        problem = f"not UTF-8 text (bad byte at offset {exc.start}); save it as UTF-8"
        raise _fail(path, problem) from exc
    if not text.strip():
        raise _fail(path, "the file is empty")
    return text


def _detect_format(path: Path, text: str) -> str:
    """'csv', 'jsonl' or 'label-studio': the extension decides, else the first character."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    first = text.lstrip()[0]
    if first == "[":
        return "label-studio"
    if first == "{":
        return "jsonl"
    header = text.splitlines()[0].lower()
    if suffix in ("", ".txt") and "sample_id" in header and "," in header:
        return "csv"
    raise _fail(path, "unknown format: expected .csv, .jsonl or a Label Studio .json export")


def _csv_records(path: Path, text: str) -> Iterator[Extracted]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [name.strip().lower() for name in next(reader)]
    except (StopIteration, csv.Error) as exc:
        raise _fail(path, f"cannot read the CSV header ({exc})") from exc
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        names = ", ".join(repr(name) for name in missing)
        problem = f"missing column(s) {names}; the header must be sample_id,annotator,label[,note]"
        raise _fail(path, problem)
    return _csv_rows(path, reader, header)


def _csv_rows(path: Path, reader: Any, header: list[str]) -> Iterator[Extracted]:
    wanted = [*REQUIRED_COLUMNS, "note"]
    previous_end = reader.line_num
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise _fail(path, f"line {reader.line_num}: unreadable CSV ({exc})") from exc
        line, previous_end = previous_end + 1, reader.line_num  # a quoted field may span lines
        if not any(value.strip() for value in values):
            continue
        if len(values) > len(header):
            count = f"{len(values)} values but the header has {len(header)} columns"
            yield line, f"{count} (quote fields that contain commas)"
            continue
        fields = dict(zip(header, values, strict=False))
        absent = [name for name in REQUIRED_COLUMNS if name not in fields]
        if absent:
            yield line, "missing column(s) " + ", ".join(repr(name) for name in absent)
            continue
        yield line, {name: fields.get(name) for name in wanted}


def _jsonl_records(text: str) -> Iterator[Extracted]:
    # split("\n") rather than splitlines(): keeps numbering equal to what an editor shows.
    for line, raw in enumerate(text.split("\n"), start=1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as exc:
            yield line, f"malformed JSON ({exc.msg} at column {exc.colno})"
            continue
        except RecursionError:
            yield line, "malformed JSON (nested too deeply)"
            continue
        if not isinstance(obj, dict):
            yield line, "expected a JSON object with sample_id, annotator, label"
            continue
        yield line, _json_fields(obj)


def _json_fields(obj: dict[str, Any]) -> dict[str, str | None] | str:
    absent = [name for name in REQUIRED_COLUMNS if name not in obj]
    if absent:
        return "missing column(s) " + ", ".join(repr(name) for name in absent)
    fields: dict[str, str | None] = {}
    for name in REQUIRED_COLUMNS:
        value = scalar_text(obj[name])
        if value is None:
            return f"{name!r} must be a string, not {type(obj[name]).__name__}"
        fields[name] = value
    note = obj.get("note")
    fields["note"] = note if isinstance(note, str) else None
    return fields


def _json_tasks(path: Path, text: str) -> list[Any]:
    try:
        tasks = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _fail(path, f"not valid JSON ({exc.msg} at line {exc.lineno})") from exc
    except RecursionError as exc:
        raise _fail(path, "not valid JSON (nested too deeply)") from exc
    if not isinstance(tasks, list):
        raise _fail(path, "expected a Label Studio export: a JSON list of tasks")
    return tasks


def _validate(
    records: Iterator[Extracted], label_set: Sequence[str], known_ids: set[str]
) -> ParseResult:
    labels = {label.lower(): label for label in label_set}
    allowed = ", ".join(label_set)
    result = ParseResult(rows=[], errors=[])
    first_line: dict[tuple[str, str], int] = {}
    for line, fields in records:
        if isinstance(fields, str):
            result.errors.append(RowError(line, fields))
            continue
        sample_id = (fields["sample_id"] or "").strip()
        annotator = (fields["annotator"] or "").strip()
        label = (fields["label"] or "").strip()
        if not annotator and not label:
            result.unlabelled += 1
            continue
        problems = []
        if not sample_id:
            problems.append("empty sample id")
        elif sample_id not in known_ids:
            problems.append(f"unknown sample id {sample_id!r}")
        name_problem = annotator_name_problem(annotator)
        if name_problem:
            problems.append(name_problem)
        if label.lower() not in labels:
            problems.append(f"label {label!r} is not one of: {allowed}")
        pair = (sample_id, annotator)
        if not problems and pair in first_line:
            problems.append(
                f"duplicate label for sample {sample_id!r} by {annotator!r} "
                f"(first on line {first_line[pair]})"
            )
        if problems:
            result.errors.append(RowError(line, "; ".join(problems)))
            continue
        first_line[pair] = line
        note = fields.get("note")
        note = note if note and note.strip() else None
        result.rows.append(AnnotationRow(sample_id, annotator, labels[label.lower()], note, line))
    return result


# ---------------------------------------------------------------- export


def export_annotations(rows: Sequence[ExportRow], fmt: str) -> str:
    """Render rows as 'csv', 'jsonl' or 'label-studio' text (see EXPORT_FORMATS)."""
    if fmt == "csv":
        return _export_csv(rows)
    if fmt == "jsonl":
        lines = [json.dumps(_export_dict(row), ensure_ascii=False) for row in rows]
        return "".join(line + "\n" for line in lines)
    if fmt == "label-studio":
        return json.dumps(label_studio_tasks(rows), ensure_ascii=False, indent=2) + "\n"
    raise ValueError(f"unknown export format {fmt!r}; choose one of: {', '.join(EXPORT_FORMATS)}")


def _export_dict(row: ExportRow) -> dict[str, str | None]:
    return {name: getattr(row, name) for name in EXPORT_COLUMNS}


def _export_csv(rows: Sequence[ExportRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    for row in rows:
        values = _export_dict(row).values()
        writer.writerow(["" if value is None else value for value in values])
    return out.getvalue()
