"""The MGID reader on hand-counted fixtures in the real CSV layout, quirks included."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from amm_core.data.mgid import SPLIT_INDEX_NOTE, read_mgid
from amm_core.data.mgid_csv import AssetRef, parse_image_url
from amm_core.data.records import MGID_EMOTIONS, ImportFailure
from tests.data.mgid_fixtures import (
    HEADER_LINE,
    csv_text,
    getty_url,
    mgid_row,
    write_image,
    write_mgid_csvs,
)

# Hand count (kept rows marked +, skipped rows marked -):
# train (CRLF): 0+ 1001 depressed  1+ 2002 empty text  2+ 3003 multi-line
#               3+ 1001 conflicting labels  4+ bad URL  5- depression "maybe"
#               6- emotion "joy"  7+ 4004 with a query string
# dev (LF):     0+ 5005  1+ 6006 empty text  2+ 5005 again, same labels
# test (LF):    0+ 2002 (also in train, other labels)  1+ 7007  (blank line)  2- three fields only
ROWS = {
    "train": [
        mgid_row("TRUE", "depressed", 'I feel so alone, and "tired"', getty_url(1001)),
        mgid_row("FALSE", "Happiness", "", getty_url(2002, "illustrations", "happy-family")),
        mgid_row(
            "TRUE", "DEPRESSED", "line one\r\nline two, with comma", getty_url(3003, "vectors")
        ),
        mgid_row("FALSE", "Neutral", "https://example.com/post/1", getty_url(1001)),
        mgid_row("TRUE", "depressed", "ok", "https://media.gettyimages.com/photos/no-id-here"),
        mgid_row("maybe", "Fear", "odd label", getty_url(8008)),
        mgid_row("TRUE", "joy", "odd emotion", getty_url(9009)),
        mgid_row(" false ", "Surprise", "fine", getty_url(4004, query="?s=612x612")),
    ],
    "dev": [
        mgid_row("TRUE", "Neutral", "dev caption", getty_url(5005)),
        mgid_row("FALSE", "Anger", "", getty_url(6006)),
        mgid_row("TRUE", "neutral", "same image, same labels", getty_url(5005)),
    ],
    "test": [
        mgid_row("TRUE", "Neutral", "test caption", getty_url(2002)),
        mgid_row("true", "neutral", "another", getty_url(7007)),
        "",
        "TRUE,Neutral,only three",
    ],
}
NO_IMAGES_NOTE = "no images folder given: every sample is text-only"
SHIFT_WARNING = (
    "Depressed rows mostly carry emotion 'depressed' in train but 'neutral' in dev and 'neutral' "
    "in test: the emotion labels shift between splits, so train/test scores are not comparable."
)


def _distribution(dep1: int, dep0: int, **emotions: int) -> dict[str, dict[str, int]]:
    return {
        "depression": {"1": dep1, "0": dep0},
        "emotion": {name: emotions.get(name, 0) for name in MGID_EMOTIONS},
    }


EXPECTED_SUMMARY = {
    "rows": 14,
    "skipped": {"bad depression label": 1, "unknown emotion": 1, "wrong number of fields": 1},
    "empty_text": 2,
    "text_is_url": 1,
    "bad_image_urls": 1,
    "images_found": 7,
    "images_missing": 3,
    "distinct_images": 7,
    "duplicated_images": 3,
    "rows_sharing_an_image": 6,
    "cross_split_images": 1,
    "label_conflicts": 2,
    "examples": {
        "duplicated": ["1001", "2002", "5005"],
        "cross_split": ["2002"],
        "label_conflicts": ["1001", "2002"],
    },
    "label_distribution": {
        "train": _distribution(3, 3, depressed=3, neutral=1, happiness=1, surprise=1),
        "dev": _distribution(2, 1, neutral=2, anger=1),
        "test": _distribution(2, 0, neutral=2),
    },
    "split_shift_warning": SHIFT_WARNING,
    "notes": [],
}


@pytest.fixture
def corpus(tmp_path: Path) -> tuple[Path, Path]:
    csv_dir = write_mgid_csvs(tmp_path / "MGID", ROWS)
    images = tmp_path / "images"
    for name in ("1001.jpg", "2002.png", "3003.jpeg", "5005.webp"):
        write_image(images / name)
    (images / "7007.jpg").write_bytes(b"")  # an interrupted download: counts as missing
    (images / "4004.bmp").write_bytes(b"BM")  # not an accepted format
    (images / "notes.txt").write_text("not an image")
    return csv_dir, images


def test_summary_counts_every_quirk_exactly(corpus: tuple[Path, Path]) -> None:
    result = read_mgid(*corpus)
    assert result.summary == EXPECTED_SUMMARY
    assert result.kind == "mgid"
    assert result.source == str(corpus[0])
    assert result.label_sets == {
        "depression": ["not depressed", "depressed"],
        "emotion": list(MGID_EMOTIONS),
    }
    assert result.split_counts() == {"train": 6, "dev": 3, "test": 2}


def test_samples_keep_row_positions_text_and_images(corpus: tuple[Path, Path]) -> None:
    csv_dir, images = corpus
    by_id = {s.external_id: s for s in read_mgid(csv_dir, images).samples}
    kept = "train:0 train:1 train:2 train:3 train:4 train:7 dev:0 dev:1 dev:2 test:0 test:1"
    assert list(by_id) == kept.split()
    first = by_id["train:0"]
    assert first.text == 'I feel so alone, and "tired"'
    assert first.title == "Portrait of young sad woman - stock photo"
    assert (first.depression_label, first.emotion_label) == (1, "depressed")
    assert first.media_kind == "image"
    assert first.media_path == str((images / "1001.jpg").resolve())
    assert first.meta == {
        "asset_id": "1001",
        "image_url": getty_url(1001),
        "asset_kind": "photos",
        "row": 0,
        "text_is_url": False,
    }
    assert by_id["train:2"].text == "line one\nline two, with comma"
    assert by_id["train:2"].emotion_label == "depressed"
    assert by_id["train:2"].meta["asset_kind"] == "vectors"
    assert by_id["train:2"].media_path == str((images / "3003.jpeg").resolve())
    assert by_id["train:1"].text == "" and by_id["train:1"].meta["asset_kind"] == "illustrations"
    assert by_id["train:1"].media_path == by_id["test:0"].media_path  # one file, two rows
    assert by_id["train:3"].meta["text_is_url"] is True
    bad_url = by_id["train:4"]
    assert (bad_url.media_path, bad_url.media_kind, bad_url.meta["asset_id"]) == (None, None, None)
    assert bad_url.meta["image_url"] == "https://media.gettyimages.com/photos/no-id-here"
    assert by_id["train:7"].depression_label == 0
    assert by_id["train:7"].meta["asset_id"] == "4004"
    assert by_id["train:7"].media_path is None  # only a .bmp exists
    assert by_id["test:1"].media_path is None  # zero-byte file


def test_reading_twice_gives_the_same_result(corpus: tuple[Path, Path]) -> None:
    first, second = read_mgid(*corpus), read_mgid(*corpus)
    assert [s.as_row() for s in first.samples] == [s.as_row() for s in second.samples]
    assert first.summary == second.summary


def test_without_images_every_sample_is_text_only(corpus: tuple[Path, Path]) -> None:
    result = read_mgid(corpus[0])
    assert all(s.media_path is None and s.media_kind is None for s in result.samples)
    assert (result.summary["images_found"], result.summary["images_missing"]) == (0, 10)
    assert result.summary["distinct_images"] == 7
    assert result.summary["notes"] == [NO_IMAGES_NOTE]


def test_split_index_naming_finds_top_level_and_split_folder_files(
    corpus: tuple[Path, Path], tmp_path: Path
) -> None:
    images = tmp_path / "by_index"
    for name in ("train_0.jpg", "train/train_2.jpg", "dev/dev_1.png", "test_0.jpg", "test_9.jpg"):
        write_image(images / name)
    result = read_mgid(corpus[0], images, image_naming="split-index")
    with_media = sorted(s.external_id for s in result.samples if s.media_path)
    assert with_media == ["dev:1", "test:0", "train:0", "train:2"]
    assert (result.summary["images_found"], result.summary["images_missing"]) == (4, 6)
    assert result.summary["notes"] == [SPLIT_INDEX_NOTE]
    assert "failed download" in SPLIT_INDEX_NOTE


def test_header_names_tolerate_spaces_case_and_order(tmp_path: Path) -> None:
    header = " emotion label ,DEPRESSION LABEL,title,Text , image url"
    body = csv_text([], header=header) + f'Fear,FALSE,A title,"a, b",{getty_url(42)}\r\n'
    (tmp_path / "train").mkdir()
    (tmp_path / "train" / "train.csv").write_bytes(body.encode("utf-8-sig"))
    result = read_mgid(tmp_path)
    [sample] = result.samples
    assert (sample.external_id, sample.depression_label) == ("train:0", 0)
    assert sample.emotion_label == "fear"
    assert (sample.title, sample.text, sample.meta["asset_id"]) == ("A title", "a, b", "42")
    assert result.summary["notes"] == [
        "dev/dev.csv not found: no dev samples",
        "test/test.csv not found: no test samples",
        NO_IMAGES_NOTE,
    ]
    assert result.summary["split_shift_warning"] is None


def test_only_dataset_csv_is_imported_without_split(tmp_path: Path) -> None:
    write_mgid_csvs(tmp_path, {"train": ROWS["train"]})
    (tmp_path / "train" / "train.csv").unlink()
    result = read_mgid(tmp_path)
    assert result.split_counts() == {"unsplit": 6}
    assert {s.split for s in result.samples} == {None}
    assert [s.external_id for s in result.samples][:2] == ["dataset:0", "dataset:1"]
    assert result.summary["rows"] == 8
    assert result.summary["notes"] == [
        "only dataset.csv found: all rows imported without a split (ids 'dataset:<row>')",
        NO_IMAGES_NOTE,
    ]
    assert list(result.summary["label_distribution"]) == ["unsplit"]
    assert result.summary["split_shift_warning"] is None


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def test_missing_column_names_the_file_and_column(tmp_path: Path) -> None:
    write_mgid_csvs(tmp_path, {"train": ROWS["train"], "dev": ROWS["dev"]})
    header = HEADER_LINE.replace(",Image URL", "")
    _write(tmp_path / "dev" / "dev.csv", csv_text(["TRUE,Neutral,t,x"], header=header).encode())
    with pytest.raises(ImportFailure, match=r"^dev/dev\.csv: missing column\(s\) 'Image URL'$"):
        read_mgid(tmp_path)


def test_non_utf8_file_is_named(tmp_path: Path) -> None:
    write_mgid_csvs(tmp_path, {"train": ROWS["train"]})
    latin = csv_text([mgid_row("TRUE", "Neutral", "café", getty_url(1))]).encode("latin-1")
    _write(tmp_path / "test" / "test.csv", latin)
    with pytest.raises(ImportFailure, match=r"^test/test\.csv: not UTF-8 text"):
        read_mgid(tmp_path)


def test_empty_file_is_named(tmp_path: Path) -> None:
    write_mgid_csvs(tmp_path, {"train": ROWS["train"]})
    _write(tmp_path / "dev" / "dev.csv", "\ufeff".encode())
    with pytest.raises(ImportFailure, match=r"^dev/dev\.csv: empty file"):
        read_mgid(tmp_path)


def test_missing_folders_and_bad_options_fail_with_the_path(tmp_path: Path) -> None:
    with pytest.raises(ImportFailure, match="nowhere: MGID CSV folder not found"):
        read_mgid(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ImportFailure, match="no train/train.csv, dev/dev.csv, test/test.csv"):
        read_mgid(tmp_path / "empty")
    write_mgid_csvs(tmp_path / "mgid", {"train": ROWS["train"]})
    with pytest.raises(ImportFailure, match="no_images: images folder not found"):
        read_mgid(tmp_path / "mgid", tmp_path / "no_images")
    with pytest.raises(ImportFailure, match="'by-title' is not one of asset-id, split-index"):
        read_mgid(tmp_path / "mgid", image_naming="by-title")


def test_no_shift_warning_when_splits_agree(tmp_path: Path) -> None:
    rows = {
        "train": [mgid_row("TRUE", "depressed", "a", getty_url(1))],
        "test": [
            mgid_row("TRUE", "Depressed", "b", getty_url(2)),
            mgid_row("FALSE", "Neutral", "c", getty_url(3)),
        ],
    }
    result = read_mgid(write_mgid_csvs(tmp_path, rows))
    assert result.summary["split_shift_warning"] is None
    assert result.summary["notes"] == ["dev/dev.csv not found: no dev samples", NO_IMAGES_NOTE]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (getty_url(123), AssetRef("123", "photos")),
        (getty_url(45, "illustrations", "storm"), AssetRef("45", "illustrations")),
        (getty_url(6, "vectors", "rain-cloud"), AssetRef("6", "vectors")),
        (getty_url(7, query="?s=612x612&w=0"), AssetRef("7", "photos")),
        (" http://127.0.0.1:8765/photos/x-picture-id8 ", AssetRef("8", "photos")),
        ("https://media.gettyimages.com/photos/picture-id9", AssetRef("9", "photos")),
        ("https://media.gettyimages.com/photos/sad-vector-id1", None),
        ("https://media.gettyimages.com/photos/sad-woman", None),
        ("https://media.gettyimages.com/photos/sad-picture-idx1", None),
        ("ftp://media.gettyimages.com/photos/sad-picture-id1", None),
        ("/photos/sad-picture-id1", None),
        ("", None),
    ],
)
def test_asset_ids_come_from_getty_urls(url: str, expected: AssetRef | None) -> None:
    assert parse_image_url(url) == expected


def test_five_thousand_rows_read_fast(tmp_path: Path) -> None:
    emotions = ["depressed", "Neutral", "Happiness", "Fear", "Surprise", "Anger"]
    rows = [
        mgid_row(
            "TRUE" if i % 2 else "FALSE",
            emotions[i % 6],
            f"caption {i}, with comma",
            getty_url(100000 + i % 4000),
        )
        for i in range(5000)
    ]
    csv_dir = write_mgid_csvs(
        tmp_path / "big", {"train": rows[:3500], "dev": rows[3500:4000], "test": rows[4000:]}
    )
    images = tmp_path / "images"
    images.mkdir()
    for i in range(0, 4000, 4):
        (images / f"{100000 + i}.jpg").write_bytes(b"\xff\xd8\xff\xe0 tiny")
    started = time.perf_counter()
    result = read_mgid(csv_dir, images)
    elapsed = time.perf_counter() - started
    assert len(result.samples) == 5000
    assert result.summary["distinct_images"] == 4000
    assert result.summary["duplicated_images"] == 1000
    assert result.summary["images_found"] == 1250
    assert elapsed < 2.0, f"reading 5,000 rows took {elapsed:.2f} s"
