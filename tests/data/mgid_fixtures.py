"""Write small MGID corpora in exactly the real zip layout (BOM, header, quoting), plus JPEGs."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import cv2
import numpy as np

HEADER_LINE = "Depression Label,Emotion Label,Title,Text,Image URL"
GETTY = "https://media.gettyimages.com"
_ASSET_WORD = {"photos": "picture", "illustrations": "illustration", "vectors": "vector"}


def getty_url(
    asset_id: int | str,
    kind: str = "photos",
    slug: str = "sad-woman",
    host: str = GETTY,
    query: str = "",
) -> str:
    """`<host>/<kind>/<slug>-<asset>-id<digits>`, as in MGID's Image URL column."""
    return f"{host}/{kind}/{slug}-{_ASSET_WORD[kind]}-id{asset_id}{query}"


def mgid_row(
    depression: str,
    emotion: str,
    text: str = "",
    url: str = "",
    title: str = "Portrait of young sad woman - stock photo",
) -> dict[str, str]:
    """One record keyed by the real column names."""
    return {
        "Depression Label": depression,
        "Emotion Label": emotion,
        "Title": title,
        "Text": text,
        "Image URL": url,
    }


def csv_text(
    rows: list[dict[str, str] | str], header: str = HEADER_LINE, line_ending: str = "\r\n"
) -> str:
    """The CSV body: header, then each dict as a quoted record, each str as a verbatim line."""
    out = io.StringIO()
    out.write(header + line_ending)
    writer = csv.writer(out, lineterminator=line_ending, quoting=csv.QUOTE_MINIMAL)
    columns = [name.strip() for name in HEADER_LINE.split(",")]
    for row in rows:
        if isinstance(row, str):
            out.write(row + line_ending)
        else:
            writer.writerow([row[name] for name in columns])
    return out.getvalue()


def write_mgid_csvs(
    root: Path,
    rows_by_split: dict[str, list[dict[str, str] | str]],
    line_endings: dict[str, str] | None = None,
) -> Path:
    """Write `<split>/<split>.csv` per split (UTF-8 with BOM) and dataset.csv (all rows).

    Train defaults to CRLF line endings and the other files to LF, so both are exercised.
    """
    root.mkdir(parents=True, exist_ok=True)
    endings = {"train": "\r\n", **(line_endings or {})}
    every: list[dict[str, str] | str] = []
    for split, rows in rows_by_split.items():
        folder = root / split
        folder.mkdir(exist_ok=True)
        body = csv_text(rows, line_ending=endings.get(split, "\n"))
        (folder / f"{split}.csv").write_bytes(body.encode("utf-8-sig"))
        every.extend(rows)
    (root / "dataset.csv").write_bytes(csv_text(every, line_ending="\n").encode("utf-8-sig"))
    return root


def image_bytes(seed: int = 0, suffix: str = ".jpg", width: int = 32, height: int = 24) -> bytes:
    """A small random-colour image encoded by OpenCV in the format of `suffix` (.jpg/.png/.webp)."""
    pixels = np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)
    ok, encoded = cv2.imencode(suffix, pixels)
    assert ok
    return encoded.tobytes()


def jpeg_bytes(seed: int = 0) -> bytes:
    return image_bytes(seed, ".jpg")


def write_image(path: Path, seed: int = 0) -> Path:
    """An image file whose content matches its suffix."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(image_bytes(seed, path.suffix))
    return path
