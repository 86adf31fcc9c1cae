"""`amm import daic` end to end on a DAIC-WOZ-format corpus with the quirks: exact JSON summary,
idempotent re-import, and a failed import that writes nothing."""

from __future__ import annotations

from tests.cli.helpers import amm_json, row_counts
from tests.data.daic_fixtures import write_daic_corpus, write_text


def test_import_daic_json_summary_and_rows(tmp_path, capsys):
    root = write_daic_corpus(tmp_path / "daic")
    home = tmp_path / "home"
    code, out, err = amm_json(capsys, "import", "daic", "--root", str(root), "--home", str(home))
    assert code == 0, err
    assert out["dataset"] == "daic" and out["kind"] == "daic"
    assert out["samples"] == 18
    assert out["splits"] == {"train": 7, "dev": 4, "test": 5, "unsplit": 2}
    assert out["sessions"] == 8
    assert out["skipped"]["interruption"] == 3
    assert out["skipped"]["sync_marker"] == 2
    assert row_counts(home)["samples"] == 18
    code, again, _ = amm_json(capsys, "import", "daic", "--root", str(root), "--home", str(home))
    assert (again["inserted"], again["updated"], again["unchanged"]) == (0, 0, 18)
    assert row_counts(home)["samples"] == 18


def test_bad_label_header_writes_nothing(tmp_path, capsys):
    root = write_daic_corpus(tmp_path / "daic")
    home = tmp_path / "home"
    write_text(root / "dev_split_Depression_AVEC2017.csv", ["id,score", "301,3"], "\r\n")
    code, out, err = amm_json(capsys, "import", "daic", "--root", str(root), "--home", str(home))
    assert code != 0 and out is None
    assert "dev_split_Depression_AVEC2017.csv" in err
    assert len(err.strip().splitlines()) == 1
    assert row_counts(home) == {}
