"""The MGID image downloader against a local HTTP server on 127.0.0.1 (no other network)."""

from __future__ import annotations

import csv
import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import cv2
import pytest

from amm_core.data.mgid import read_mgid
from amm_core.data.mgid_download import download_mgid_images, image_format_of
from tests.data.mgid_fixtures import getty_url, image_bytes, jpeg_bytes, mgid_row, write_mgid_csvs

Reply = tuple[int, str, bytes]  # status, content type, body
SLOW_SECONDS = 0.6
TIMEOUT = 0.2


class _Site:
    """Routes path -> list of replies (the last one repeats); counts hits per path."""

    def __init__(self) -> None:
        self.hits: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.routes: dict[str, list[Reply | Callable[[], Reply]]] = {}

    def reply(self, path: str) -> Reply:
        with self.lock:
            self.hits[path] += 1
            replies = self.routes.get(path, [(404, "text/plain", b"no such image")])
            choice = replies[min(self.hits[path], len(replies)) - 1]
        return choice() if callable(choice) else choice


def _handler(site: _Site) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            status, content_type, body = site.reply(urlsplit(self.path).path)
            try:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout test)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


def _slow() -> Reply:
    time.sleep(SLOW_SECONDS)
    return (200, "image/jpeg", jpeg_bytes(9))


@pytest.fixture
def site() -> Iterator[tuple[_Site, str]]:
    site = _Site()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(site))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


JPEG = (200, "image/jpeg", jpeg_bytes(1))
PATHS = {
    "123": "/photos/sad-woman-picture-id123",
    "200": "/illustrations/storm-illustration-id200",
    "404": "/vectors/gone-vector-id404",
    "300": "/photos/login-picture-id300",
    "500": "/photos/sad-woman-picture-id500",
    "403": "/photos/locked-picture-id403",
    "600": "/photos/slow-picture-id600",
    "999": "/photos/sad-woman-picture-id999",
}


def _corpus(tmp_path: Path, host: str) -> Path:
    """7 distinct downloadable ids; 123 is used twice (train and test)."""
    rows = {
        "train": [
            mgid_row("TRUE", "depressed", "a", getty_url(123, host=host, query="?s=612x612")),
            mgid_row("FALSE", "Happiness", "b", getty_url(200, "illustrations", "storm", host)),
            mgid_row("TRUE", "depressed", "c", getty_url(404, "vectors", "gone", host)),
            mgid_row("TRUE", "depressed", "d", f"{host}/photos/no-id-here"),
            mgid_row("maybe", "Fear", "skipped row", getty_url(999, host=host)),
        ],
        "dev": [
            mgid_row("FALSE", "Neutral", "e", getty_url(300, slug="login", host=host)),
            mgid_row("TRUE", "Neutral", "f", getty_url(500, host=host)),
            mgid_row("FALSE", "Anger", "g", getty_url(403, slug="locked", host=host)),
        ],
        "test": [
            mgid_row("TRUE", "Neutral", "h", getty_url(123, host=host)),
            mgid_row("TRUE", "Neutral", "i", getty_url(600, slug="slow", host=host)),
        ],
    }
    return write_mgid_csvs(tmp_path / "MGID", rows)


def _serve(site: _Site) -> None:
    site.routes = {
        PATHS["123"]: [JPEG],
        PATHS["200"]: [(500, "text/plain", b"busy"), (500, "text/plain", b"busy"), JPEG],
        PATHS["404"]: [(404, "text/plain", b"gone")],
        PATHS["300"]: [(200, "text/html", b"<html>please log in</html>")],
        PATHS["500"]: [(200, "image/png", image_bytes(2, ".png"))],
        PATHS["403"]: [(403, "text/plain", b"no")],
        PATHS["600"]: [_slow],
        PATHS["999"]: [JPEG],
    }


def _download(csv_dir: Path, out: Path, messages: list[str]) -> dict:
    return download_mgid_images(
        csv_dir, out, workers=3, retries=2, timeout=TIMEOUT, backoff=0.01, progress=messages.append
    )


def test_downloads_once_per_asset_retries_and_resumes(
    site: tuple[_Site, str], tmp_path: Path
) -> None:
    server, host = site
    _serve(server)
    csv_dir, out = _corpus(tmp_path, host), tmp_path / "images"
    out.mkdir()
    (out / "123.jpg").write_bytes(b"")  # a zero-byte leftover is not "already present"
    messages: list[str] = []

    result = _download(csv_dir, out, messages)

    manifest_path = out / "manifest.json"
    assert result == {
        "images": 7,
        "downloaded": 3,
        "already_present": 0,
        "failed": 4,
        "manifest": str(manifest_path),
    }
    hits = {asset: server.hits[path] for asset, path in PATHS.items()}
    assert hits == {"123": 1, "200": 3, "404": 1, "300": 1, "500": 1, "403": 1, "600": 3, "999": 0}
    assert sorted(p.name for p in out.iterdir()) == [
        "123.jpg", "200.jpg", "500.png", "failures.csv", "manifest.json"
    ]  # fmt: skip
    assert cv2.imread(str(out / "123.jpg")) is not None
    assert cv2.imread(str(out / "500.png")).shape == (24, 32, 3)

    manifest = json.loads(manifest_path.read_text())
    assert manifest["downloaded"] == ["123", "200", "500"]
    assert manifest["already_present"] == []
    errors = {f["asset_id"]: (f["url"], f["error"]) for f in manifest["failed"]}
    assert [f["asset_id"] for f in manifest["failed"]] == ["300", "403", "404", "600"]
    assert errors["404"] == (getty_url(404, "vectors", "gone", host), "HTTP 404 Not Found")
    assert errors["403"][1] == "HTTP 403 Forbidden"
    assert errors["300"][1] == "response is not an image (JPEG, PNG, WebP or GIF)"
    assert errors["600"][1].startswith("connection failed")
    with open(out / "failures.csv", newline="", encoding="utf-8") as stream:
        assert list(csv.DictReader(stream)) == manifest["failed"]
    assert messages[0] == "7 distinct images: 0 already present, 7 to fetch"

    # The reader finds what was downloaded: 123 serves two rows, plus 200 and 500.
    assert read_mgid(csv_dir, out).summary["images_found"] == 4

    again = _download(csv_dir, out, [])
    assert (again["downloaded"], again["already_present"], again["failed"]) == (0, 3, 4)
    assert server.hits[PATHS["123"]] == 1 and server.hits[PATHS["200"]] == 3
    assert server.hits[PATHS["404"]] == 2  # failures are tried again, once, in a new run
    assert json.loads(manifest_path.read_text())["already_present"] == ["123", "200", "500"]


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="workers must be at least 1"):
        download_mgid_images(tmp_path, tmp_path / "out", workers=0)
    with pytest.raises(ValueError, match="retries must be 0 or more"):
        download_mgid_images(tmp_path, tmp_path / "out", retries=-1)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (jpeg_bytes(), "jpeg"),
        (image_bytes(0, ".png"), "png"),
        (image_bytes(0, ".webp"), "webp"),
        (b"GIF89a\x01\x00", "gif"),
        (b"<html></html>", None),
        (b"", None),
    ],
)
def test_image_format_from_magic_bytes(data: bytes, expected: str | None) -> None:
    assert image_format_of(data) == expected
