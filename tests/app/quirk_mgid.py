"""A small MGID workspace with planted image quirks, built in a test's tmp_path: a post whose image
file is garbage, one with a truncated JPEG, one never downloaded, one with a non-Getty URL, a
transparent PNG, an adjudicated gold label, and a non-ASCII caption."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import cv2
import numpy as np

from amm_core.cli import main
from tests.data.mgid_fixtures import getty_url, mgid_row, write_image, write_mgid_csvs

DATASET = "quirk"
UNICODE_CAPTION = "Ünïcödé ÉMOTION here"
ROWS = {
    "train": [
        mgid_row("TRUE", "depressed", "Sad man sitting alone", getty_url(1001), "Good one"),
        mgid_row("FALSE", "Happiness", UNICODE_CAPTION, getty_url(1002), "Unicode"),
        mgid_row("TRUE", "Anger", "garbage bytes", getty_url(1007), "Corrupt"),
        mgid_row("TRUE", "Fear", "half a jpeg", getty_url(1008), "Truncated"),
        mgid_row("FALSE", "Neutral", "never downloaded", getty_url(1005), "Missing"),
        mgid_row("FALSE", "Neutral", "url is not getty", "not a url", "Bad url"),
        mgid_row("FALSE", "Surprise", "see-through", getty_url(1010), "Transparent"),
        mgid_row("TRUE", "depressed", "another sad one", getty_url(1009), "Good two"),
    ],
    "dev": [mgid_row("TRUE", "Neutral", "dev caption", getty_url(1011), "Dev")],
    "test": [
        mgid_row("FALSE", "neutral", "test caption", getty_url(1012), "Test"),
        mgid_row("TRUE", "depressed", "test two", getty_url(1013), "Test two"),
    ],
}


def _truncated_jpeg(path: Path) -> None:
    pixels = np.random.default_rng(1).integers(0, 256, (300, 400, 3), dtype=np.uint8)
    ok, data = cv2.imencode(".jpg", pixels)
    assert ok
    path.write_bytes(data.tobytes()[: len(data) // 2])


def transparent_png(path: Path) -> None:
    """Fully transparent except a red square; the hidden colour under the alpha is black."""
    bgra = np.zeros((60, 80, 4), np.uint8)
    bgra[20:40, 30:50] = (0, 0, 255, 255)
    cv2.imwrite(str(path), bgra)


def build(root: Path) -> Path:
    """Write the corpus, import it as `quirk` into `root/home`; returns the home."""
    images = root / "images"
    for asset in (1001, 1002, 1009, 1011, 1012, 1013):
        write_image(images / f"{asset}.jpg", seed=asset)
    (images / "1007.jpg").write_bytes(b"this is not a jpeg")
    _truncated_jpeg(images / "1008.jpg")
    transparent_png(images / "1010.png")
    write_mgid_csvs(root / "csv", ROWS)
    home = root / "home"
    assert main(["import", "mgid", "--csv-dir", str(root / "csv"), "--images", str(images),
                 "--name", DATASET, "--home", str(home), "--json"]) == 0
    return home


def build_second(root: Path, home: Path, name: str = "other") -> None:
    """The same corpus imported again into `home` as another dataset."""
    assert main(["import", "mgid", "--csv-dir", str(root / "csv"), "--images",
                 str(root / "images"), "--name", name, "--home", str(home), "--json"]) == 0


def sample_id(home: Path, title: str, dataset: str = DATASET) -> int:
    with sqlite3.connect(home / "amm.db") as conn:
        return conn.execute("SELECT s.id FROM samples s JOIN datasets d ON d.id = s.dataset_id "
                            "WHERE s.title = ? AND d.name = ?", (title, dataset)).fetchone()[0]


def add_gold(home: Path, title: str, label: str) -> None:
    """An adjudicated gold emotion label for the post with `title`."""
    with sqlite3.connect(home / "amm.db") as conn:
        conn.execute("INSERT INTO gold_labels (sample_id, label, source, provenance, created_at) "
                     "VALUES (?, ?, 'adjudicated', '{}', '2024-01-01 00:00:00')",
                     (sample_id(home, title), label))
