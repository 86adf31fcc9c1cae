"""Label Studio JSON exports: read tasks into plain label records, and build tasks to export.

Pure standard library; `annotations.interop` validates what this module extracts.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from annotations.interop import ExportRow

# One extracted label: (task position, fields) or (task position, error message).
Extracted = tuple[int, "dict[str, str | None] | str"]


def scalar_text(value: object) -> str | None:
    """Text of a JSON scalar id or name: strings stripped, numbers as digits, null as ''.

    None means the value has a type that cannot be an id (list, object, bool).
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def label_studio_records(tasks: list[Any]) -> Iterator[Extracted]:
    """Yield one record per non-cancelled annotation; task positions are 1-based."""
    for position, task in enumerate(tasks, start=1):
        if not isinstance(task, dict):
            yield position, "task is not a JSON object"
            continue
        data = task.get("data")
        raw_id = None
        if isinstance(data, dict):
            raw_id = data.get("sample_id", data.get("external_id"))
        sample_id = scalar_text(raw_id)
        if not sample_id:
            yield position, "task has no data.sample_id (or data.external_id)"
            continue
        annotations = task.get("annotations") or []
        if not isinstance(annotations, list):
            yield position, "task 'annotations' is not a list"
            continue
        for annotation in annotations:
            record = _annotation_record(sample_id, annotation)
            if record is not None:
                yield position, record


def _annotation_record(sample_id: str, annotation: object) -> dict[str, str | None] | str | None:
    """Fields of one annotation, an error message, or None for a cancelled (skipped) one."""
    if not isinstance(annotation, dict):
        return f"sample {sample_id!r}: annotation is not a JSON object"
    if annotation.get("was_cancelled") is True:
        return None
    results = annotation.get("result")
    if not isinstance(results, list):
        results = []
    label = _first_value(results, "choices", "choices")
    if label is None:
        return f"sample {sample_id!r}: annotation has no choices result"
    return {
        "sample_id": sample_id,
        "annotator": _annotator(annotation.get("completed_by")),
        "label": label,
        "note": _first_value(results, "textarea", "text"),
    }


def _first_value(results: list[Any], result_type: str, key: str) -> str | None:
    """First string in value[key] of the first result of `result_type` (Label Studio layout)."""
    for result in results:
        if not isinstance(result, dict) or result.get("type") != result_type:
            continue
        value = result.get("value")
        items = value.get(key) if isinstance(value, dict) else None
        if isinstance(items, list) and items and isinstance(items[0], str):
            return items[0]
    return None


def _annotator(completed_by: object) -> str:
    """The annotator's email, else 'user<id>' for a bare or email-less user id, else ''."""
    if isinstance(completed_by, dict):
        email = completed_by.get("email")
        if isinstance(email, str) and email.strip():
            return email.strip()
        completed_by = completed_by.get("id")
    if isinstance(completed_by, int) and not isinstance(completed_by, bool):
        return f"user{completed_by}"
    if isinstance(completed_by, str):
        return completed_by.strip()
    return ""


def label_studio_tasks(rows: Sequence[ExportRow]) -> list[dict[str, Any]]:
    """One task per sample (first-seen order); labelled rows become its annotations."""
    tasks: dict[str, dict[str, Any]] = {}
    for row in rows:
        task = tasks.setdefault(
            row.sample_id,
            {"data": {"sample_id": row.sample_id, "text": row.text}, "annotations": []},
        )
        if row.annotator is None or row.label is None:
            continue
        result: list[dict[str, Any]] = [_result("label", "choices", {"choices": [row.label]})]
        if row.note:
            # A textarea result carries the note so that an export re-imports unchanged.
            result.append(_result("note", "textarea", {"text": [row.note]}))
        annotation = {"completed_by": {"email": row.annotator}, "result": result}
        if row.labelled_at:
            annotation["updated_at"] = row.labelled_at  # Label Studio's own field name
        task["annotations"].append(annotation)
    return list(tasks.values())


def _result(from_name: str, result_type: str, value: dict[str, list[str]]) -> dict[str, Any]:
    return {"from_name": from_name, "to_name": "text", "type": result_type, "value": value}
