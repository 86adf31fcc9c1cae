"""`amm predict --text/--image` stores the upload and its predictions, once per content."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, text

from tests.cli.conftest import RUN, first_image
from tests.cli.helpers import amm_json, row_counts


def _upload_rows(home: Path, sha256: str) -> tuple[list[tuple], list[tuple]]:
    engine = create_engine(f"sqlite:///{home / 'amm.db'}")
    with engine.connect() as conn:
        uploads = conn.execute(text(
            "SELECT id, text, media_kind, media_path, original_name, gender FROM uploads "
            "WHERE sha256 = :s"), {"s": sha256}).all()
        predictions = conn.execute(text(
            "SELECT p.task, p.label, p.device, p.latency_ms FROM upload_predictions p "
            "JOIN uploads u ON u.id = p.upload_id JOIN model_runs r ON r.id = p.run_id "
            "WHERE u.sha256 = :s AND r.name = :r ORDER BY p.task"), {"s": sha256, "r": RUN}).all()
    engine.dispose()
    return [tuple(u) for u in uploads], [tuple(p) for p in predictions]


def test_predict_stores_the_upload_once(trained_home, home_args, capsys):
    home, image = trained_home["home"], first_image(trained_home)
    args = ("predict", "--run", RUN, "--text", "nothing helps any more", "--image", str(image),
            "--gender", "male", *home_args)
    code, out, err = amm_json(capsys, *args)
    assert code == 0, err
    assert set(out) == {"run", "predictions", "device", "latency_ms", "upload"}
    sha = out["upload"]
    uploads, predictions = _upload_rows(home, sha)
    [(_, stored_text, kind, media_path, original, gender)] = uploads
    assert (stored_text, kind, original, gender) == ("nothing helps any more", "image",
                                                     image.name, "male")
    assert Path(media_path) == home / "media" / "uploads" / f"{sha}.jpg"
    assert Path(media_path).read_bytes() == image.read_bytes()
    assert [(task, label) for task, label, _, _ in predictions] == [
        ("depression", out["predictions"]["depression"]["label"]),
        ("emotion", out["predictions"]["emotion"]["label"])]
    assert all(device == out["device"] and latency > 0 for _, _, device, latency in predictions)

    before = row_counts(home)
    code, again, err = amm_json(capsys, *args)
    assert code == 0, err
    assert again["upload"] == sha
    assert row_counts(home) == before  # same content: the row and predictions are upserted


def test_a_refused_upload_leaves_rows_and_media_alone(trained_home, home_args, capsys, tmp_path):
    home = trained_home["home"]
    media = home / "media"
    before = (row_counts(home), sorted(media.rglob("*")))
    mislabelled = tmp_path / "photo.png"
    mislabelled.write_bytes(first_image(trained_home).read_bytes())  # JPEG content
    code, out, err = amm_json(capsys, "predict", "--run", RUN, "--text", "x", "--image",
                              str(mislabelled), *home_args)
    assert code != 0 and out is None
    assert "photo.png: content is JPEG" in err and len(err.strip().splitlines()) == 1
    code, out, err = amm_json(capsys, "predict", "--run", RUN, "--text", "x", "--video",
                              str(first_image(trained_home)), *home_args)
    assert code != 0 and "not a video" in err
    assert (row_counts(home), sorted(media.rglob("*"))) == before
