"""`amm train / evaluate / predict` end to end on a small MGID-format corpus."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import cv2
import numpy as np
from sqlalchemy import create_engine, text

from amm_core.checkpoint import file_sha256
from tests.cli.conftest import RUN, first_image
from tests.cli.helpers import amm_json, row_counts

METRIC_KEYS = {"micro_f1", "macro_f1", "precision", "recall", "accuracy", "balanced_accuracy",
               "confusion"}


def _run_row(home: Path) -> dict:
    engine = create_engine(f"sqlite:///{home / 'amm.db'}")
    with engine.connect() as conn:
        row = conn.execute(text("SELECT status, progress, checkpoint_path, checkpoint_sha256 "
                                "FROM model_runs WHERE name = :n"), {"n": RUN}).one()
    engine.dispose()
    return dict(row._mapping)


def test_train_json_has_the_contract_shape(trained_home):
    result = trained_home["train"]
    assert result["run"] == RUN
    assert set(result["metrics"]) == {"dev", "test"}
    for split in ("dev", "test"):
        assert set(result["metrics"][split]) == {"depression", "emotion"}
        for task in ("depression", "emotion"):
            assert set(result["metrics"][split][task]) >= METRIC_KEYS
    confusion = result["metrics"]["test"]["emotion"]["confusion"]
    assert len(confusion) == 6 and all(len(row) == 6 for row in confusion)


def test_the_run_is_stored_with_checkpoint_and_predictions(trained_home):
    home = trained_home["home"]
    run = _run_row(home)
    assert run["status"] == "completed" and run["progress"] == 1.0
    assert file_sha256(Path(run["checkpoint_path"])) == run["checkpoint_sha256"]
    counts = row_counts(home)
    assert counts["predictions"] == 2 * counts["samples"]  # both tasks for every sample


def test_stored_predictions_are_what_predict_gives(trained_home, home_args, capsys):
    """The stored rows hold each sample's own prediction: its label is the argmax of its
    probabilities, and `amm predict` of the split gives the same (sample, task) answers."""
    engine = create_engine(f"sqlite:///{trained_home['home'] / 'amm.db'}")
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT s.external_id, p.task, p.label, p.probabilities FROM predictions p "
            "JOIN samples s ON s.id = p.sample_id JOIN model_runs r ON r.id = p.run_id "
            "WHERE r.name = :n AND s.split = 'test'"), {"n": RUN}).all()
    engine.dispose()
    stored = {(r[0], r[1]): (r[2], json.loads(r[3]) if isinstance(r[3], str) else r[3])
              for r in rows}
    assert stored and all(label == max(p, key=p.get) for label, p in stored.values())
    code, out, err = amm_json(capsys, "predict", "--run", RUN, "--dataset", "small", "--split",
                              "test", *home_args)
    assert code == 0, err
    fresh = {(p["sample"], p["task"]): p for p in out["predictions"]}
    assert set(fresh) == set(stored)
    for key, (label, probs) in stored.items():
        assert fresh[key]["label"] == label
        assert all(abs(fresh[key]["probabilities"][n] - v) < 1e-4 for n, v in probs.items())


def test_evaluate_repeats_the_test_metrics(trained_home, home_args, capsys):
    code, out, err = amm_json(capsys, "evaluate", "--run", RUN, "--split", "test", *home_args)
    assert code == 0, err
    assert out["run"] == RUN and out["split"] == "test"
    trained = trained_home["train"]["metrics"]["test"]
    for task in ("depression", "emotion"):
        assert out["metrics"][task]["micro_f1"] == trained[task]["micro_f1"]
        assert out["metrics"][task]["confusion"] == trained[task]["confusion"]


def test_predict_one_upload(trained_home, home_args, capsys):
    image = first_image(trained_home)
    code, out, err = amm_json(capsys, "predict", "--run", RUN, "--text", "alone and so tired",
                              "--image", str(image), "--gender", "female", *home_args)
    assert code == 0, err
    for task in ("depression", "emotion"):
        probs = out["predictions"][task]["probabilities"]
        assert abs(sum(probs.values()) - 1) < 1e-4
        assert out["predictions"][task]["label"] == max(probs, key=probs.get)
    assert out["device"] in ("cpu", "cuda", "cuda:0")
    assert out["latency_ms"] > 0
    code, male, err = amm_json(capsys, "predict", "--run", RUN, "--text", "alone and so tired",
                               "--image", str(image), "--gender", "male", *home_args)
    assert code == 0, err  # the gender embedding is knowledge the model reads
    assert male["predictions"]["depression"] != out["predictions"]["depression"]


def test_predict_a_dataset_split(trained_home, home_args, capsys):
    code, out, err = amm_json(capsys, "predict", "--run", RUN, "--dataset", "small", "--split",
                              "dev", *home_args)
    assert code == 0, err
    dev_rows = _csv_rows(trained_home["root"] / "mgid" / "dev" / "dev.csv")
    assert dev_rows > 0 and out["samples"] == dev_rows
    assert len(out["predictions"]) == 2 * dev_rows  # both tasks
    assert all(p["sample"].startswith("dev:") for p in out["predictions"])


def _csv_rows(path: Path) -> int:
    import csv

    with path.open(encoding="utf-8-sig", newline="") as handle:
        return sum(1 for _ in csv.DictReader(handle))


def test_bad_requests_are_one_line_and_write_nothing(trained_home, home_args, capsys, tmp_path):
    before = row_counts(trained_home["home"])
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    cases = [
        (["train", "--dataset", "nope"], "unknown dataset 'nope'"),
        (["train", "--dataset", "small", "--variant", "transformer"], "unknown variant"),
        (["train", "--dataset", "small", "--variant", "stl"], "needs --task"),
        (["train", "--dataset", "small", "--name", RUN], "already exists"),
        (["evaluate", "--run", "nope"], "unknown run 'nope'"),
        (["predict", "--run", RUN], "give --dataset"),
        (["predict", "--run", RUN, "--text", "x", "--image", str(tmp_path / "no.jpg")],
         "file not found"),
        (["predict", "--run", RUN, "--text", "x", "--image", str(broken)], "broken.jpg"),
        (["predict", "--run", RUN, "--text", "  "], "empty text"),
    ]
    for args, expected in cases:
        code, out, err = amm_json(capsys, *args, *home_args)
        assert code != 0 and out is None, args
        assert expected in err, (args, err)
        assert len(err.strip().splitlines()) == 1, err
    assert row_counts(trained_home["home"]) == before


def test_a_text_model_that_is_not_offline_is_one_line(trained_home, home_args, capsys):
    before = row_counts(trained_home["home"])
    code, out, err = amm_json(capsys, "train", "--dataset", "small", "--name", "bert-run",
                              "--text-model", "bert-base-uncased", "--epochs", "1", *home_args)
    assert code != 0 and out is None
    assert "bert-base-uncased" in err and "offline" in err
    assert len(err.strip().splitlines()) == 1
    assert row_counts(trained_home["home"]) == before


def test_resume_continues_from_the_last_epoch(trained_home, tmp_path, capsys):
    home = tmp_path / "home"  # a copy: the shared trained run stays as the other tests saw it
    shutil.copytree(trained_home["home"], home)
    code, out, err = amm_json(capsys, "train", "--dataset", "small", "--name", RUN, "--resume",
                              "--epochs", "4", "--home", str(home))
    assert code == 0, err
    assert out["epochs_run"] == 4  # three from the first run, one more now
    assert "epoch 4/4" in err and "epoch 1/4" not in err  # it went on, it did not start again
    before = row_counts(home)
    code, out, err = amm_json(capsys, "train", "--dataset", "small", "--name", "typo-run",
                              "--resume", "--epochs", "4", "--home", str(home))
    assert code == 2 and "there is no run 'typo-run' to resume" in err  # not a new run
    assert row_counts(home) == before and not (home / "runs" / "typo-run").exists()


def test_daic_format_corpus_trains_end_to_end(tmp_path, capsys):
    """DAIC-format: OpenFace clips as the visual part, emotion masked until gold labels exist,
    per-session scores reported."""
    from tests.data.daic_fixtures import write_daic_corpus

    root = write_daic_corpus(tmp_path / "daic")
    home = ["--home", str(tmp_path / "home")]
    assert amm_json(capsys, "import", "daic", "--root", str(root), *home)[0] == 0
    code, out, err = amm_json(capsys, "train", "--dataset", "daic", "--epochs", "2",
                              "--seed", "1", *home)
    assert code == 0, err
    for split in ("dev", "test"):
        assert set(out["metrics"][split]) == {"depression"}  # no emotion labels yet: masked
        assert "per_session" in out["metrics"][split]["depression"]
    # The error-analysis report scores the stored predictions as training did (per-session
    # from averaged probabilities, intervals seeded with the run's seed 1).
    code, report, err = amm_json(capsys, "report", "--run", out["run"], "--out",
                                 str(tmp_path / "report"), *home)
    assert code == 0, err
    assert report["metrics"]["depression"] == out["metrics"]["test"]["depression"]
    # Scoring reads OpenFace features through the normaliser fitted on the train split (AU
    # intensities and millimetres differ in scale), kept in the checkpoint, not the identity.
    from amm_core.cli.model_data import load_run_predictor
    from amm_core.cli.storage import open_workspace
    from amm_core.workspace import Settings

    workspace = open_workspace(Settings.resolve(tmp_path / "home"))
    _, predictor = load_run_predictor(workspace, out["run"])
    workspace.engine.dispose()
    assert predictor.normaliser.mean.abs().max() > 0.1
    assert (predictor.normaliser.std - 1).abs().max() > 0.1
    picture = tmp_path / "face.png"
    cv2.imwrite(str(picture), np.full((48, 64, 3), 128, np.uint8))
    run = out["run"]
    code, out, err = amm_json(capsys, "predict", "--run", run, "--text", "i feel low",
                              "--image", str(picture), *home)
    assert code != 0 and "OpenFace" in err and len(err.strip().splitlines()) == 1
    _untrained_emotion_head_is_left_out(capsys, run, home)


def _untrained_emotion_head_is_left_out(capsys, run: str, home: list[str]) -> None:
    """No gold emotion label in train: the emotion head never learned, so nothing shows its
    outputs (no stored predictions, no prediction, no explanation), as for evaluation."""
    from sqlalchemy import create_engine, text

    engine = create_engine(f"sqlite:///{Path(home[1]) / 'amm.db'}")
    with engine.connect() as conn:
        tasks = conn.execute(text("SELECT DISTINCT task FROM predictions")).scalars().all()
        config = conn.execute(text("SELECT config FROM model_runs WHERE name = :n"),
                              {"n": run}).scalar()
    engine.dispose()
    assert tasks == ["depression"] and '"untrained_tasks": ["emotion"]' in config
    code, single, err = amm_json(capsys, "predict", "--run", run, "--text", "so tired", *home)
    assert code == 0, err
    assert set(single["predictions"]) == {"depression"}
    assert "no emotion prediction: this run had no emotion label to learn from" in err
    code, split, err = amm_json(capsys, "predict", "--run", run, "--dataset", "daic", "--split",
                                "test", *home)
    assert code == 0 and {p["task"] for p in split["predictions"]} == {"depression"}
    code, _, err = amm_json(capsys, "explain", "--run", run, "--text", "so tired", "--task",
                            "emotion", *home)
    assert code != 0 and "never learned the emotion task" in err


def test_an_unexpected_failure_is_one_line_without_a_traceback(tmp_path, capsys):
    """A file where the run's folder goes: the run fails (and says so in one line), with the
    traceback only under AMM_DEBUG."""
    from tests.data.daic_fixtures import write_daic_corpus

    home = ["--home", str(tmp_path / "home")]
    assert amm_json(capsys, "import", "daic", "--root", str(write_daic_corpus(tmp_path / "d")),
                    *home)[0] == 0
    (tmp_path / "home" / "runs").mkdir(parents=True, exist_ok=True)
    (tmp_path / "home" / "runs" / "blocked").write_text("x")
    code, _, err = amm_json(capsys, "train", "--dataset", "daic", "--epochs", "1", "--name",
                            "blocked", *home)
    assert code == 2 and "Traceback" not in err
    assert [line for line in err.splitlines() if line.startswith("amm: error:")]
