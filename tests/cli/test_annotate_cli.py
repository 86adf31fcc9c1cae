"""`amm annotate import / export / agreement / adjudicate` on a DAIC-format dataset."""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import create_engine, text

from amm_core.cli import main
from amm_core.cli.model_data import load_dataset
from amm_core.cli.storage import open_workspace
from amm_core.workspace import Settings
from tests.cli.helpers import amm_json, row_counts
from tests.data.daic_fixtures import write_daic_corpus


@pytest.fixture
def daic_home(tmp_path, capsys):
    root = write_daic_corpus(tmp_path / "daic")
    home = tmp_path / "home"
    assert amm_json(capsys, "import", "daic", "--root", str(root), "--home", str(home))[0] == 0
    engine = create_engine(f"sqlite:///{home / 'amm.db'}")
    with engine.connect() as conn:
        ids = [r[0] for r in conn.execute(text("SELECT external_id FROM samples ORDER BY id"))]
    engine.dispose()
    return home, ids


def _labels_csv(path, rows):
    lines = ["sample_id,annotator,label,note"] + [",".join(r) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_import_agreement_adjudicate_export(daic_home, tmp_path, capsys):
    home, ids = daic_home
    args = ("--dataset", "daic", "--home", str(home))
    a, b, c = ids[:3]
    labels = _labels_csv(tmp_path / "labels.csv", [
        (a, "ana", "sad", ""), (a, "ben", "sad", ""), (b, "ana", "sad", ""),
        (b, "ben", "non-sad", "hesitant"), (c, "ana", "non-sad", ""), (c, "ben", "non-sad", ""),
    ])
    code, out, err = amm_json(capsys, "annotate", "import", str(labels), *args)
    assert code == 0, err
    assert (out["rows"], out["changed"], out["rejected"]) == (6, 6, 0)

    code, report, err = amm_json(capsys, "annotate", "agreement", *args)
    assert code == 0, err
    assert report["items"] == 3 and report["annotators"] == ["ana", "ben"]
    assert report["percent_agreement"] == pytest.approx(2 / 3, abs=1e-6)
    assert set(report["cohen_kappa"]) == {"ana|ben"}
    assert {"fleiss_kappa", "krippendorff_alpha", "intervals"} <= set(report)

    code, out, err = amm_json(capsys, "annotate", "adjudicate", *args)
    assert code == 0, err
    assert (out["gold_majority"], out["undecided"]) == (2, 1)
    code, out, err = amm_json(capsys, "annotate", "adjudicate", "--sample", b, "--label", "sad",
                              "--adjudicator", "dr lee", *args)
    assert code == 0, err
    data = load_dataset(open_workspace(Settings.resolve(home)), "daic")
    emotion = {s.external_id: s.emotion_label for s in data.samples}
    assert (emotion[a], emotion[b], emotion[c]) == ("sad", "sad", "non-sad")  # gold feeds training

    out_file = tmp_path / "export.csv"
    code, out, err = amm_json(capsys, "annotate", "export", "--format", "csv", "--out",
                              str(out_file), *args)
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out_file.read_text(encoding="utf-8"))))
    assert len(rows) == 6 + (len(ids) - 3)  # every label, plus one empty row per other sample
    assert {r["sample_id"] for r in rows} == set(ids)


def test_a_bad_row_rejects_the_file_unless_partial(daic_home, tmp_path, capsys):
    home, ids = daic_home
    args = ("--dataset", "daic", "--home", str(home))
    labels = _labels_csv(tmp_path / "labels.csv", [
        (ids[0], "ana", "sad", ""), ("999_1", "ana", "sad", ""), (ids[1], "ana", "happy", ""),
    ])
    before = row_counts(home)
    code, out, err = amm_json(capsys, "annotate", "import", str(labels), *args)
    assert code != 0 and out is None
    assert "line 3" in err and "line 4" in err and "nothing imported" in err
    assert row_counts(home) == before
    code, out, err = amm_json(capsys, "annotate", "import", str(labels), "--partial", *args)
    assert code == 0 and (out["rows"], out["rejected"]) == (1, 2)


def test_export_without_labels_has_one_row_per_sample(daic_home, capsys):
    home, ids = daic_home
    code = main(["annotate", "export", "--format", "jsonl", "--dataset", "daic", "--home",
                 str(home)])
    lines = capsys.readouterr().out.strip().splitlines()
    assert code == 0
    rows = [json.loads(line) for line in lines]
    assert [r["sample_id"] for r in rows] == ids
    assert all(r["label"] is None and r["annotator"] is None for r in rows)
    code, out, err = amm_json(capsys, "annotate", "export", "--format", "jsonl", "--dataset",
                              "daic", "--home", str(home))  # --json: one object, export inside
    assert code == 0 and out["rows"] == len(ids)
    assert [json.loads(line) for line in out["content"].splitlines()] == rows


def test_a_new_note_on_the_same_label_is_imported(daic_home, tmp_path, capsys):
    """Editing notes in an exported file and importing it back keeps the edits; a row without
    a note leaves the stored note alone."""
    home, ids = daic_home
    args = ("--dataset", "daic", "--home", str(home))
    first = _labels_csv(tmp_path / "a.csv", [(ids[0], "ana", "sad", "")])
    assert amm_json(capsys, "annotate", "import", str(first), *args)[0] == 0
    edited = _labels_csv(tmp_path / "b.csv", [(ids[0], "ana", "sad", "long pause; sighs")])
    code, out, err = amm_json(capsys, "annotate", "import", str(edited), *args)
    assert code == 0, err
    assert (out["changed"], out["notes_changed"]) == (0, 1)
    assert amm_json(capsys, "annotate", "import", str(first), *args)[1]["notes_changed"] == 0
    exported = tmp_path / "export.csv"
    assert amm_json(capsys, "annotate", "export", "--format", "csv", "--out", str(exported),
                    *args)[0] == 0
    rows = [r for r in csv.DictReader(io.StringIO(exported.read_text(encoding="utf-8")))
            if r["annotator"] == "ana"]
    assert [(r["sample_id"], r["label"], r["note"]) for r in rows] == [
        (ids[0], "sad", "long pause; sighs")]


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "label-studio"])
def test_an_export_says_when_each_label_was_given_and_imports_back(daic_home, tmp_path, capsys,
                                                                   fmt):
    from datetime import UTC, datetime

    home, ids = daic_home
    args = ("--dataset", "daic", "--home", str(home))
    labels = _labels_csv(tmp_path / "labels.csv", [(ids[0], "ana", "sad", "")])
    before = datetime.now(UTC).replace(microsecond=0)
    assert amm_json(capsys, "annotate", "import", str(labels), *args)[0] == 0
    exported = tmp_path / f"out.{fmt}"
    assert amm_json(capsys, "annotate", "export", "--format", fmt, "--out", str(exported),
                    *args)[0] == 0
    body = exported.read_text(encoding="utf-8")
    if fmt == "label-studio":
        task = next(t for t in json.loads(body) if t["annotations"])
        stamp = task["annotations"][0]["updated_at"]
    elif fmt == "jsonl":
        stamp = next(json.loads(r)["labelled_at"] for r in body.splitlines()
                     if json.loads(r)["annotator"])
    else:
        import csv
        import io

        stamp = next(r["labelled_at"] for r in csv.DictReader(io.StringIO(body))
                     if r["annotator"])
    given = datetime.fromisoformat(stamp)
    assert given.tzinfo is not None and before <= given <= datetime.now(UTC)
    code, out, err = amm_json(capsys, "annotate", "import", str(exported), *args)
    assert code == 0 and out["rejected"] == 0, err
