"""`amm import mgid` end to end: exact JSON summary, idempotent re-import, nothing half-written."""

from __future__ import annotations

from pathlib import Path

from tests.cli.helpers import amm_json, amm_subprocess, row_counts
from tests.data.mgid_fixtures import csv_text, getty_url, mgid_row, write_image, write_mgid_csvs
from tests.data.test_mgid import EXPECTED_SUMMARY, ROWS


def _corpus(tmp_path: Path) -> tuple[Path, Path]:
    csv_dir = write_mgid_csvs(tmp_path / "MGID", ROWS)
    images = tmp_path / "images"
    images.mkdir()
    for name in ("1001.jpg", "2002.png", "3003.jpeg", "5005.webp"):
        write_image(images / name)
    return csv_dir, images


def test_import_prints_the_contract_json_and_stores_every_sample(tmp_path, capsys):
    csv_dir, images = _corpus(tmp_path)
    home = tmp_path / "home"
    code, out, err = amm_json(capsys, "import", "mgid", "--csv-dir", str(csv_dir), "--images",
                              str(images), "--home", str(home), "--name", "mgid-real")
    assert code == 0, err
    assert out["dataset"] == "mgid-real"
    assert out["samples"] == 11
    assert out["splits"] == {"train": 6, "dev": 3, "test": 2}
    assert out["inserted"] == 11
    assert out["label_conflicts"] == EXPECTED_SUMMARY["label_conflicts"]
    assert out["cross_split_images"] == 1
    assert out["skipped"] == EXPECTED_SUMMARY["skipped"]
    assert row_counts(home)["samples"] == 11
    assert row_counts(home)["datasets"] == 1


def test_reimport_is_idempotent(tmp_path, capsys):
    csv_dir, images = _corpus(tmp_path)
    home = tmp_path / "home"
    args = ("import", "mgid", "--csv-dir", str(csv_dir), "--images", str(images),
            "--home", str(home))
    assert amm_json(capsys, *args)[0] == 0
    code, again, _ = amm_json(capsys, *args)
    assert code == 0
    assert (again["inserted"], again["updated"], again["unchanged"]) == (0, 0, 11)
    assert again["not_in_source"] == 0
    assert row_counts(home)["samples"] == 11


def test_a_row_gone_from_the_source_is_kept_and_reported(tmp_path, capsys):
    """Samples carry annotations, so a re-import never deletes one; it says how many stored
    samples the source no longer has."""
    csv_dir, images = _corpus(tmp_path)
    home = tmp_path / "home"
    args = ("import", "mgid", "--csv-dir", str(csv_dir), "--home", str(home))
    code, first, err = amm_json(capsys, *args)
    assert code == 0, err
    dev_csv = csv_dir / "dev" / "dev.csv"
    header = dev_csv.read_text(encoding="utf-8-sig").splitlines(keepends=True)[0]
    dev_csv.write_text(header, encoding="utf-8")  # every dev row is gone from the source
    code, again, err = amm_json(capsys, *args)
    assert code == 0, err
    gone = first["splits"]["dev"]
    assert gone > 0 and again["not_in_source"] == gone
    assert again["samples"] == first["samples"] - gone
    assert row_counts(home)["samples"] == first["samples"]


def test_a_bad_file_writes_nothing_and_names_the_file(tmp_path, capsys):
    csv_dir, images = _corpus(tmp_path)
    home = tmp_path / "home"
    first = amm_json(capsys, "import", "mgid", "--csv-dir", str(csv_dir), "--home", str(home))
    assert first[0] == 0
    before = row_counts(home)
    bad = csv_text([mgid_row("TRUE", "Neutral", "x", getty_url(1))]).replace("Image URL", "Img")
    (csv_dir / "dev" / "dev.csv").write_text("\ufeff" + bad, encoding="utf-8")
    code, out, err = amm_json(capsys, "import", "mgid", "--csv-dir", str(csv_dir), "--home",
                              str(home), "--name", "other")
    assert code != 0 and out is None
    assert "dev/dev.csv" in err and "Image URL" in err
    assert len(err.strip().splitlines()) == 1
    assert row_counts(home) == before


def test_missing_folder_through_the_real_command_is_one_line(tmp_path):
    result = amm_subprocess("import", "mgid", "--csv-dir", str(tmp_path / "nope"), "--home",
                            str(tmp_path / "home"))
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0
    assert "nope" in result.stderr and "not found" in result.stderr
    assert row_counts(tmp_path / "home") == {}
