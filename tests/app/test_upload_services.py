"""Upload services without Streamlit: store by content hash, dedupe, history, and bad input that
leaves the database and the media folder exactly as they were. A stand-in predictor keeps it fast
(the page and CLI tests use trained runs)."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from amm_core.cli.output import CommandError
from amm_core.cli.storage import Workspace, open_workspace
from amm_core.config import RunConfig, resolve_config, to_dict
from amm_core.uploads import MAX_TEXT_CHARS, MAX_VIDEO_SECONDS
from app import upload_services as svc
from db import runs as db_runs
from tests.cli.helpers import row_counts
from tests.features.media_fixtures import gradient, grey_video, image_bytes, png_header_only

PNG = image_bytes(gradient(), "PNG")
JPEG = image_bytes(gradient(), "JPEG")


class StandInPredictor:
    """Answers like Predictor.predict_upload; remembers what it was given; can be told to fail."""

    def __init__(self, config: RunConfig | None = None, fail: Exception | None = None) -> None:
        self.config = config or resolve_config("mgid")
        self.fail = fail
        self.calls: list[dict[str, Any]] = []

    def predict_upload(self, text: str, media: Path | None = None,
                       gender: str | None = None) -> dict[str, Any]:
        self.calls.append({"text": text, "media": media, "gender": gender,
                           "bytes": media.read_bytes() if media else None})
        if self.fail is not None:
            raise self.fail
        sad = min(0.9, 0.1 + len(text) / 100)
        emotions = {"depressed": sad, "neutral": 1 - sad}
        return {"predictions": {
            "depression": {"label": "depressed" if sad > 0.5 else "not depressed",
                           "probabilities": {"not depressed": 1 - sad, "depressed": sad}},
            "emotion": {"label": max(emotions, key=emotions.get), "probabilities": emotions},
        }, "device": "cpu", "latency_ms": 12.5 + len(self.calls)}


def _add_run(workspace: Workspace, name: str, config: RunConfig) -> None:
    with workspace.sessions() as session, session.begin():
        run = db_runs.create_run(session, name, modalities=config.model.modalities,
                                 config=to_dict(config), checkpoint_path="unused.pt")
        db_runs.update_run(session, run.id, status="completed", progress=1.0)


@pytest.fixture
def workspace(settings) -> Workspace:
    ws = open_workspace(settings)
    _add_run(ws, "mgid-run", resolve_config("mgid"))
    return ws


def _media_listing(workspace: Workspace) -> list[str]:
    folder = workspace.settings.media_dir
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_upload_is_stored_by_content_hash_with_its_predictions(workspace):
    predictor = StandInPredictor()
    stored = svc.predict_upload(workspace, "mgid-run", predictor, text="  so tired\r\n",
                                media=PNG, media_name="../../etc/My photo\x07.png",
                                gender="female")
    text = b"so tired"
    expected = hashlib.sha256(b"amm-upload-v1\n" + b"text:8\n" + text + b"\ngender:female"
                              + b"\nmedia:%d\n" % len(PNG) + PNG).hexdigest()
    assert stored.sha256 == expected and stored.created
    assert stored.predictions["depression"]["label"] == "not depressed"
    assert stored.device == "cpu" and stored.latency_ms == 13.5
    stored_file = workspace.settings.media_dir / "uploads" / f"{expected}.png"
    assert stored_file.read_bytes() == PNG
    assert predictor.calls[0]["bytes"] == PNG and predictor.calls[0]["text"] == "so tired"
    assert _media_listing(workspace) == ["uploads", f"uploads/{expected}.png"]  # no temp left
    counts = row_counts(workspace.settings.home)
    assert counts["uploads"] == 1 and counts["upload_predictions"] == 2
    [row] = svc.upload_history(workspace)
    assert row["media"] == "image: My photo.png"  # path parts and control characters dropped
    assert row["depression"] == "not depressed (0.82)" and row["run"] == "mgid-run"


def test_the_extension_comes_from_the_content(workspace):
    stored = svc.predict_upload(workspace, "mgid-run", StandInPredictor(), text="",
                                media=JPEG, media_name="holiday.JPEG")
    assert (workspace.settings.media_dir / "uploads" / f"{stored.sha256}.jpg").is_file()
    nameless = svc.predict_upload(workspace, "mgid-run", StandInPredictor(), text="x",
                                  media=PNG, media_name="no-extension")
    assert (workspace.settings.media_dir / "uploads" / f"{nameless.sha256}.png").is_file()


def test_the_same_upload_twice_is_one_row_with_predictions_per_run(workspace):
    _add_run(workspace, "second-run", resolve_config("mgid"))
    predictor = StandInPredictor()
    first = svc.predict_upload(workspace, "mgid-run", predictor, text="hello", media=PNG,
                               media_name="a.png")
    again = svc.predict_upload(workspace, "mgid-run", predictor, text="hello", media=PNG,
                               media_name="renamed.png")
    assert again.sha256 == first.sha256 and not again.created
    counts = row_counts(workspace.settings.home)
    assert counts["uploads"] == 1 and counts["upload_predictions"] == 2  # upserted, not added
    history = svc.upload_history(workspace)
    assert [r["latency ms"] for r in history] == [again.latency_ms]  # the newer prediction
    assert history[0]["media"] == "image: a.png"  # the first name stays
    svc.predict_upload(workspace, "second-run", predictor, text="hello", media=PNG)
    assert row_counts(workspace.settings.home)["upload_predictions"] == 4
    assert [r["run"] for r in svc.upload_history(workspace)] == ["second-run", "mgid-run"]
    other_gender = svc.predict_upload(workspace, "mgid-run", predictor, text="hello", media=PNG,
                                      gender="male")
    assert other_gender.sha256 != first.sha256  # gender is part of the content hash


def test_history_is_newest_first(workspace):
    predictor = StandInPredictor()
    for text in ("first post", "second post", "first post"):
        svc.predict_upload(workspace, "mgid-run", predictor, text=text)
    assert [r["text"] for r in svc.upload_history(workspace)] == ["first post", "second post"]


def test_a_short_video_is_stored_as_a_video(workspace, tmp_path):
    data = grey_video(tmp_path / "clip.avi", [40, 80, 120, 160]).read_bytes()
    predictor = StandInPredictor()
    stored = svc.predict_upload(workspace, "mgid-run", predictor, text="", media=data,
                                media_name="clip.avi")
    assert stored.media_kind == "video"
    assert predictor.calls[0]["media"].suffix == ".avi"
    assert (workspace.settings.media_dir / "uploads" / f"{stored.sha256}.avi").is_file()


def _long_video(tmp_path: Path) -> bytes:
    path = tmp_path / "long.avi"
    import cv2
    import numpy as np

    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 1, (16, 16))
    for _ in range(int(MAX_VIDEO_SECONDS) + 5):  # one frame per second
        writer.write(np.zeros((16, 16, 3), np.uint8))
    writer.release()
    return path.read_bytes()


BAD_INPUTS = {
    # case: (text, media bytes or a builder, name, gender, words the message must contain)
    "zero-byte image": ("x", b"", "empty.png", None, "empty.png: empty file"),
    "truncated image": ("x", PNG[: len(PNG) // 2], "cut.png", None, "cut.png: truncated"),
    "mislabelled image": ("x", JPEG, "photo.png", None, "content is JPEG"),
    "image over the pixel limit": ("x", png_header_only(60_000, 60_000), "huge.png", None,
                                   "huge.png: image is"),
    "not a media type": ("x", PNG, "notes.txt", None, "'.txt' is not an image or video"),
    "video name, image content": ("x", PNG, "clip.mp4", None, "not a recognised video"),
    "image name, video content": ("x", "video", "still.jpg", None, "content is AVI video"),
    "zero-frame video": ("x", "empty-video", "none.avi", None, "none.avi"),
    "video over the length limit": ("x", "long-video", "long.avi", None, "second limit"),
    "text over the limit": ("w" * (MAX_TEXT_CHARS + 1), None, None, None, "character limit"),
    "empty text alone": ("   ", None, None, None, "empty text needs an image or a video"),
    "unknown gender": ("x", None, None, "other", "gender must be one of"),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_stores_nothing(workspace, tmp_path, case):
    text, media, name, gender, expected = BAD_INPUTS[case]
    if media == "video":
        media = grey_video(tmp_path / "v.avi", [10, 20]).read_bytes()
    elif media == "empty-video":
        media = grey_video(tmp_path / "e.avi", []).read_bytes()
    elif media == "long-video":
        media = _long_video(tmp_path)
    svc.predict_upload(workspace, "mgid-run", StandInPredictor(), text="kept", media=PNG)
    before = (row_counts(workspace.settings.home), _media_listing(workspace))
    predictor = StandInPredictor()
    with pytest.raises(CommandError) as error:
        svc.predict_upload(workspace, "mgid-run", predictor, text=text, media=media,
                           media_name=name, gender=gender)
    message = str(error.value)
    assert expected in message and "\n" not in message
    assert (row_counts(workspace.settings.home), _media_listing(workspace)) == before
    assert predictor.calls == []  # refused before the model ran


@pytest.mark.parametrize("failure", [ValueError("tensor shape mismatch"), RuntimeError("oom")])
def test_a_failed_prediction_stores_nothing(workspace, failure):
    before = (row_counts(workspace.settings.home), _media_listing(workspace))
    with pytest.raises(CommandError, match=str(failure)):
        svc.predict_upload(workspace, "mgid-run", StandInPredictor(fail=failure), text="hi",
                           media=PNG, media_name="a.png")
    assert (row_counts(workspace.settings.home), _media_listing(workspace)) == before


def test_runs_say_which_parts_of_an_upload_they_can_use(workspace):
    daic = resolve_config("daic")
    text_only = resolve_config("mgid", {"model": {"modalities": "text"}})
    image_only = resolve_config("mgid", {"model": {"modalities": "image"}})
    for name, config in (("daic-run", daic), ("text-run", text_only), ("image-run", image_only)):
        _add_run(workspace, name, config)
    choices = {c.name: c for c in svc.run_choices(workspace)}
    assert choices["mgid-run"].accepts_media and choices["mgid-run"].uses_text
    assert not choices["daic-run"].accepts_media and "OpenFace" in choices["daic-run"].media_reason
    assert not choices["text-run"].accepts_media and "text only" in choices["text-run"].media_reason
    assert not choices["image-run"].uses_text and choices["image-run"].accepts_media
    before = row_counts(workspace.settings.home)
    for run, config in (("daic-run", daic), ("text-run", text_only)):
        with pytest.raises(CommandError, match="cannot use an uploaded image|cannot use an image"):
            svc.predict_upload(workspace, run, StandInPredictor(config), text="x", media=PNG)
    with pytest.raises(CommandError, match="reads images only"):
        svc.predict_upload(workspace, "image-run", StandInPredictor(image_only), text="words")
    assert row_counts(workspace.settings.home) == before
    predictor = StandInPredictor(replace(image_only))
    stored = svc.predict_upload(workspace, "image-run", predictor, text="ignored", media=PNG)
    assert predictor.calls[0]["text"] == "" and "ignores text" in stored.notes[0]


def test_nul_characters_are_removed_from_the_text():
    """PostgreSQL text columns refuse NUL: a pasted text carrying one stored on SQLite only."""
    from amm_core.uploads import check_upload

    checked = check_upload("so\x00 tired\x00", None)
    assert checked.text == "so tired"
    assert checked.sha256 == check_upload("so tired", None).sha256
