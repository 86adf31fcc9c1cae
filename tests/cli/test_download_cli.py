"""`amm download-mgid-images` through the command, against a server on 127.0.0.1."""

from __future__ import annotations

import json

from tests.cli.helpers import amm_json
from tests.data.mgid_fixtures import getty_url, jpeg_bytes, mgid_row, write_mgid_csvs
from tests.data.test_mgid_download import site  # noqa: F401 - the pytest fixture

JPEG = (200, "image/jpeg", jpeg_bytes(3))


def test_download_command_names_by_asset_id_and_resumes(tmp_path, capsys, site):  # noqa: F811
    server, base = site
    server.routes["/photos/sad-picture-id111"] = [JPEG]
    server.routes["/photos/gone-picture-id222"] = [(404, "text/plain", b"gone")]
    rows = {"train": [mgid_row("TRUE", "depressed", "a", getty_url(111, slug="sad", host=base)),
                      mgid_row("FALSE", "Neutral", "b", getty_url(222, slug="gone", host=base)),
                      mgid_row("TRUE", "depressed", "c", getty_url(111, slug="sad", host=base))]}
    csv_dir = write_mgid_csvs(tmp_path / "MGID", rows)
    out_dir = tmp_path / "images"
    args = ("download-mgid-images", "--csv-dir", str(csv_dir), "--out", str(out_dir),
            "--workers", "2", "--retries", "0", "--home", str(tmp_path / "home"))
    code, first, err = amm_json(capsys, *args)
    assert code == 0, err
    assert (first["images"], first["downloaded"], first["failed"]) == (2, 1, 1)
    assert (out_dir / "111.jpg").read_bytes() == JPEG[2]
    manifest = json.loads((out_dir / "manifest.json").read_text())
    assert [f["asset_id"] for f in manifest["failed"]] == ["222"]
    code, second, _ = amm_json(capsys, *args)
    assert (second["downloaded"], second["already_present"]) == (0, 1)
    assert server.hits["/photos/sad-picture-id111"] == 1


def test_download_rejects_absurd_worker_counts(tmp_path, capsys):
    code, out, err = amm_json(capsys, "download-mgid-images", "--csv-dir", str(tmp_path),
                              "--out", str(tmp_path / "o"), "--workers", "0")
    assert code != 0 and "--workers" in err


def test_nothing_downloaded_is_a_failure(tmp_path, capsys, site):  # noqa: F811
    server, base = site
    server.routes["/photos/gone-picture-id222"] = [(404, "text/plain", b"gone")]
    rows = {"train": [mgid_row("FALSE", "Neutral", "b", getty_url(222, slug="gone", host=base))]}
    csv_dir = write_mgid_csvs(tmp_path / "MGID", rows)
    code, out, err = amm_json(capsys, "download-mgid-images", "--csv-dir", str(csv_dir), "--out",
                              str(tmp_path / "images"), "--retries", "0", "--home",
                              str(tmp_path / "home"))
    assert code == 2 and out is None
    assert "none of the 1 image(s) could be downloaded" in err and "manifest.json" in err
