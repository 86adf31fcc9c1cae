"""Label import/export: hand-written CSV, JSONL and Label Studio files, errors, round trips."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from annotations.interop import (
    AnnotationRow,
    ExportRow,
    RowError,
    export_annotations,
    parse_annotations,
)

DAIC_LABELS = ("non-sad", "sad")
DAIC_IDS = {"300_12", "300_13", "300_14"}
MGID_LABELS = ("depressed", "neutral", "happiness", "fear", "surprise", "anger")
MGID_IDS = {"train:1", "train:2", "train:3"}


def _write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path


def _daic(path: Path):
    return parse_annotations(path, label_set=DAIC_LABELS, known_ids=DAIC_IDS)


def _errors(result) -> dict[int, str]:
    return {error.line: error.message for error in result.errors}


# ---------------------------------------------------------------- CSV


def test_csv_with_bom_and_quoted_note(tmp_path: Path) -> None:
    text = (
        "sample_id,annotator,label,note\r\n"
        '300_12,alice,sad,"long pause, then a sigh"\r\n'
        "300_13,alice,non-sad,\r\n"
        "300_12,bob,sad,\r\n"
    )
    result = _daic(_write(tmp_path, "labels.csv", b"\xef\xbb\xbf" + text.encode()))
    assert result.ok
    assert result.rows == [
        AnnotationRow("300_12", "alice", "sad", "long pause, then a sigh", 2),
        AnnotationRow("300_13", "alice", "non-sad", None, 3),
        AnnotationRow("300_12", "bob", "sad", None, 4),
    ]


def test_csv_row_errors_carry_file_line_numbers(tmp_path: Path) -> None:
    text = (
        "sample_id,annotator,label,note\n"  # 1
        "300_12,alice,sad,\n"  # 2 ok
        "999_1,alice,sad,\n"  # 3 unknown sample
        "300_13,alice,happy,\n"  # 4 bad label
        "300_13,,sad,\n"  # 5 empty annotator
        "300_12,alice,non-sad,\n"  # 6 duplicate of line 2
        "300_14,bob\n"  # 7 missing column
        "300_14,bob,sad,a note, unquoted\n"  # 8 too many values
        '300_14,carol,Sad,"two\n'  # 9 ok, note spans two lines
        'lines"\n'  # 10
        "300_99,carol,sad,\n"  # 11 unknown sample
        "300_14,,,\n"  # 12 unlabelled (as exported): skipped, not an error
        ",,,\n"  # 13 blank: skipped
    )
    result = _daic(_write(tmp_path, "labels.csv", text))
    assert [(row.sample_id, row.annotator, row.label, row.line) for row in result.rows] == [
        ("300_12", "alice", "sad", 2),
        ("300_14", "carol", "sad", 9),
    ]
    assert result.rows[1].note == "two\nlines"
    errors = _errors(result)
    assert sorted(errors) == [3, 4, 5, 6, 7, 8, 11]
    assert errors[3] == "unknown sample id '999_1'"
    assert errors[4] == "label 'happy' is not one of: non-sad, sad"
    assert errors[5] == "empty annotator"
    assert errors[6] == "duplicate label for sample '300_12' by 'alice' (first on line 2)"
    assert errors[7] == "missing column(s) 'label'"
    assert errors[8].startswith("5 values but the header has 4 columns")
    assert errors[11] == "unknown sample id '300_99'"
    assert result.unlabelled == 1
    assert not result.ok


def test_csv_without_required_header_names_the_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "no_header.csv", "300_12,alice,sad\n300_13,bob,sad\n")
    with pytest.raises(ValueError, match=r"^no_header\.csv: missing column\(s\)") as info:
        _daic(path)
    assert "\n" not in str(info.value)


# ---------------------------------------------------------------- JSONL


def test_jsonl_with_malformed_line(tmp_path: Path) -> None:
    text = (
        '{"sample_id": "train:1", "annotator": "alice", "label": "happiness"}\n'  # 1
        '{"sample_id": "train:2", "annotator": "alice", "label": "fear"\n'  # 2 malformed
        "\n"  # 3 blank
        '{"sample_id": "train:2", "annotator": "alice", "label": "fear", "note": "dark"}\n'  # 4
        '["train:3", "bob", "anger"]\n'  # 5 not an object
        '{"sample_id": "train:3", "annotator": "bob"}\n'  # 6 missing label
        '{"sample_id": "train:3", "annotator": "bob", "label": "Anger", "note": null}\n'  # 7
        '{"sample_id": "train:9", "annotator": "bob", "label": "joy"}\n'  # 8 two problems
        '{"sample_id": "train:1", "annotator": ["x"], "label": "fear"}\n'  # 9 wrong type
    )
    result = parse_annotations(
        _write(tmp_path, "labels.jsonl", text), label_set=MGID_LABELS, known_ids=MGID_IDS
    )
    assert result.rows == [
        AnnotationRow("train:1", "alice", "happiness", None, 1),
        AnnotationRow("train:2", "alice", "fear", "dark", 4),
        AnnotationRow("train:3", "bob", "anger", None, 7),
    ]
    errors = _errors(result)
    assert sorted(errors) == [2, 5, 6, 8, 9]
    assert errors[2].startswith("malformed JSON")
    assert errors[5] == "expected a JSON object with sample_id, annotator, label"
    assert errors[6] == "missing column(s) 'label'"
    assert errors[8] == (
        "unknown sample id 'train:9'; label 'joy' is not one of: "
        "depressed, neutral, happiness, fear, surprise, anger"
    )
    assert errors[9] == "'annotator' must be a string, not list"


def test_format_detected_from_content_when_extension_is_unhelpful(tmp_path: Path) -> None:
    jsonl = '{"sample_id": "300_12", "annotator": "alice", "label": "sad"}\n'
    assert [row.label for row in _daic(_write(tmp_path, "a.txt", jsonl)).rows] == ["sad"]
    csv_text = "sample_id,annotator,label\n300_12,alice,sad\n"
    assert [row.label for row in _daic(_write(tmp_path, "b.txt", csv_text)).rows] == ["sad"]


# ---------------------------------------------------------------- Label Studio

LABEL_STUDIO_EXPORT = [
    {
        "id": 101,
        "data": {"sample_id": "300_12", "text": "i don't know <sigh>"},
        "annotations": [
            {
                "id": 1,
                "completed_by": 3,
                "result": [
                    {
                        "id": "a1",
                        "from_name": "label",
                        "to_name": "text",
                        "type": "choices",
                        "origin": "manual",
                        "value": {"choices": ["sad"]},
                    }
                ],
                "was_cancelled": False,
                "ground_truth": False,
                "created_at": "2024-05-01T10:00:00.000000Z",
                "lead_time": 12.5,
                "task": 101,
            },
            {
                "id": 2,
                "completed_by": {"id": 4, "email": "bob@lab.org", "first_name": "Bob"},
                "result": [
                    {
                        "from_name": "label",
                        "to_name": "text",
                        "type": "choices",
                        "value": {"choices": ["non-sad"]},
                    },
                    {
                        "from_name": "note",
                        "to_name": "text",
                        "type": "textarea",
                        "value": {"text": ["flat voice, hard to tell"]},
                    },
                ],
                "was_cancelled": False,
            },
        ],
        "predictions": [],
    },
    {
        "id": 102,
        "data": {"external_id": "300_13", "text": "yeah"},
        "annotations": [
            {"id": 3, "completed_by": 3, "result": [], "was_cancelled": True},
            {
                "id": 4,
                "completed_by": {"id": 4, "email": "bob@lab.org"},
                "result": [{"type": "choices", "value": {"choices": ["sad"]}}],
                "was_cancelled": False,
            },
        ],
    },
    {"id": 103, "data": {"sample_id": "300_14", "text": "okay"}, "annotations": []},
    {"id": 104, "data": {"text": "no id"}, "annotations": []},
    {
        "id": 105,
        "data": {"sample_id": "300_14"},
        "annotations": [
            {"completed_by": 3, "result": [{"type": "choices", "value": {"choices": ["meh"]}}]},
            {"completed_by": 4, "result": [{"type": "rating", "value": {"rating": 3}}]},
        ],
    },
]


def test_label_studio_export_two_annotators_and_a_cancelled_annotation(tmp_path: Path) -> None:
    path = _write(tmp_path, "project-1-at-2024.json", json.dumps(LABEL_STUDIO_EXPORT, indent=2))
    result = _daic(path)
    assert result.rows == [
        AnnotationRow("300_12", "user3", "sad", None, 1),
        AnnotationRow("300_12", "bob@lab.org", "non-sad", "flat voice, hard to tell", 1),
        AnnotationRow("300_13", "bob@lab.org", "sad", None, 2),
    ]
    assert result.errors == [
        RowError(4, "task has no data.sample_id (or data.external_id)"),
        RowError(5, "label 'meh' is not one of: non-sad, sad"),
        RowError(5, "sample '300_14': annotation has no choices result"),
    ]


def test_label_studio_duplicate_annotator_on_one_task(tmp_path: Path) -> None:
    choice = [{"type": "choices", "value": {"choices": ["sad"]}}]
    tasks = [
        {"data": {"sample_id": "300_12"}, "annotations": [{"completed_by": 7, "result": choice}]},
        {"data": {"sample_id": "300_12"}, "annotations": [{"completed_by": 7, "result": choice}]},
    ]
    result = _daic(_write(tmp_path, "ls.json", json.dumps(tasks)))
    assert len(result.rows) == 1
    assert result.errors == [
        RowError(2, "duplicate label for sample '300_12' by 'user7' (first on line 1)")
    ]


# ---------------------------------------------------------------- whole-file problems


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("latin1.csv", "sample_id,annotator,label\n300_12,José,sad\n".encode("latin-1"), "UTF-8"),
        ("empty.jsonl", b"  \n", "empty"),
        ("labels.xml", b"<labels><label/></labels>", "unknown format"),
        ("broken.json", b'[{"data": ', "not valid JSON"),
        ("extra.json", b"[1] [2]", "not valid JSON"),
        ("deep.json", b"[" * 100_000, "JSON"),
    ],
)
def test_whole_file_problems_name_the_file(
    tmp_path: Path, name: str, content: bytes, problem: str
) -> None:
    with pytest.raises(ValueError) as info:
        _daic(_write(tmp_path, name, content))
    message = str(info.value)
    assert message.startswith(f"{name}: ")
    assert problem in message
    assert "\n" not in message


def test_missing_file_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"^gone\.csv: cannot read the file"):
        _daic(tmp_path / "gone.csv")


def test_deeply_nested_jsonl_line_is_a_row_error(tmp_path: Path) -> None:
    result = _daic(_write(tmp_path, "deep.jsonl", "[" * 100_000 + "\n"))
    assert [error.line for error in result.errors] == [1]


# ---------------------------------------------------------------- export and round trips

EXPORT_ROWS = [
    ExportRow("300_12", "i don't know <sigh>", "alice", "sad", 'pause, then "um"'),
    ExportRow("300_12", "i don't know <sigh>", "bob@lab.org", "non-sad", None),
    ExportRow("300_13", "yeah,\nsure", "alice", "non-sad", "two\nlines, é"),
    ExportRow("300_14", "okay", None, None, None),
]


@pytest.mark.parametrize(
    ("fmt", "suffix"), [("csv", ".csv"), ("jsonl", ".jsonl"), ("label-studio", ".json")]
)
def test_export_then_parse_round_trips(tmp_path: Path, fmt: str, suffix: str) -> None:
    path = _write(tmp_path, "export" + suffix, export_annotations(EXPORT_ROWS, fmt))
    result = _daic(path)
    assert result.ok
    parsed = {(row.sample_id, row.annotator, row.label, row.note) for row in result.rows}
    assert parsed == {
        (row.sample_id, row.annotator, row.label, row.note)
        for row in EXPORT_ROWS
        if row.label is not None
    }


def test_label_studio_export_layout() -> None:
    tasks = json.loads(export_annotations(EXPORT_ROWS, "label-studio"))
    assert [task["data"] for task in tasks] == [
        {"sample_id": "300_12", "text": "i don't know <sigh>"},
        {"sample_id": "300_13", "text": "yeah,\nsure"},
        {"sample_id": "300_14", "text": "okay"},
    ]
    first = tasks[0]["annotations"][1]
    assert first == {
        "completed_by": {"email": "bob@lab.org"},
        "result": [
            {
                "from_name": "label",
                "to_name": "text",
                "type": "choices",
                "value": {"choices": ["non-sad"]},
            }
        ],
    }
    assert [len(task["annotations"]) for task in tasks] == [2, 1, 0]


def test_export_without_labels_has_one_row_per_sample(tmp_path: Path) -> None:
    rows = [ExportRow(sid, f"text {sid}", None, None, None) for sid in sorted(DAIC_IDS)]
    table = list(csv.DictReader(io.StringIO(export_annotations(rows, "csv"))))
    assert [(r["sample_id"], r["annotator"], r["label"]) for r in table] == [
        ("300_12", "", ""),
        ("300_13", "", ""),
        ("300_14", "", ""),
    ]
    assert list(table[0]) == ["sample_id", "annotator", "label", "note", "text", "labelled_at"]
    objects = [json.loads(line) for line in export_annotations(rows, "jsonl").splitlines()]
    assert objects[0] == {
        "sample_id": "300_12",
        "annotator": None,
        "label": None,
        "note": None,
        "text": "text 300_12",
        "labelled_at": None,
    }
    assert len(objects) == 3
    tasks = json.loads(export_annotations(rows, "label-studio"))
    assert [task["annotations"] for task in tasks] == [[], [], []]
    reparsed = _daic(_write(tmp_path, "blank.csv", export_annotations(rows, "csv")))
    assert (reparsed.rows, reparsed.errors, reparsed.unlabelled) == ([], [], 3)


def test_unknown_export_format_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown export format 'xlsx'"):
        export_annotations(EXPORT_ROWS, "xlsx")
