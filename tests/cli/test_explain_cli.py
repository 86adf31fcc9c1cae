"""`amm explain` end to end on the trained fixture: files written all at once, bad input refused
with one line and nothing written."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import pytest

from tests.cli.conftest import RUN, first_image
from tests.cli.helpers import amm_json, row_counts


def test_explain_text_and_image_writes_json_html_and_pngs(capsys, trained_home, home_args,
                                                          tmp_path) -> None:
    out = tmp_path / "why"
    code, payload, err = amm_json(capsys, "explain", *home_args, "--run", RUN, "--text",
                                  "a lonely man in the rain", "--image",
                                  str(first_image(trained_home)), "--pixels", "--out", str(out))
    assert code == 0, err
    files = payload["files"]
    assert {"json", "html", "tokens", "zones", "pixels", "inter_modal_t2v"} <= set(files)
    assert all(Path(path).parent == out for path in files.values())
    explanation = payload["explanation"]
    assert explanation["target"] == max(explanation["probabilities"]["depression"],
                                        key=explanation["probabilities"]["depression"].get)
    assert "lonely" in explanation["tokens"]
    assert len(explanation["zone_attributions"]) == len(explanation["zone_names"]) == 4
    assert json.loads(Path(files["json"]).read_text())["tokens"] == explanation["tokens"]
    page = Path(files["html"]).read_text()
    assert "lonely" in page and "<script" not in page and "http" not in page  # self-contained
    for name in ("tokens", "zones", "pixels"):
        assert cv2.imread(files[name]) is not None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["why"]  # no temporary folder left


def test_explain_stored_sample_for_a_chosen_class(capsys, home_args, tmp_path) -> None:
    out = tmp_path / "sample"
    code, payload, err = amm_json(capsys, "explain", *home_args, "--run", RUN, "--dataset",
                                  "small", "--sample", "train:0", "--task", "emotion",
                                  "--target", "fear", "--out", str(out))
    assert code == 0, err
    assert payload["subject"] == "small/train:0"
    assert (payload["task"], payload["target"]) == ("emotion", "fear")
    assert (out / "explanation.html").is_file() and (out / "inter_task_dep_from_emo.png").is_file()
    # Explaining again into the same folder replaces the earlier explanation.
    code, payload, err = amm_json(capsys, "explain", *home_args, "--run", RUN, "--dataset",
                                  "small", "--sample", "train:0", "--out", str(out))
    assert code == 0, err
    assert json.loads((out / "explanation.json").read_text())["task"] == "depression"


def _bad_image(tmp_path: Path) -> Path:
    path = tmp_path / "broken.jpg"
    path.write_bytes(b"\xff\xd8\xff\xe0 this is not a picture")
    return path


@pytest.mark.parametrize("args,message", [
    (["--run", "nope", "--text", "hi"], "unknown run 'nope'"),
    (["--run", RUN, "--dataset", "nope", "--sample", "train:0"], "unknown dataset 'nope'"),
    (["--run", RUN, "--dataset", "small", "--sample", "train:9999"], "no sample 'train:9999'"),
    (["--run", RUN, "--text", "hi", "--target", "maybe"], "unknown class 'maybe'"),
    (["--run", RUN, "--text", "hi", "--task", "anxiety"], "--task must be one of"),
    (["--run", RUN, "--text", "  "], "empty text needs an image or a video"),
    (["--run", RUN, "--text", "hi", "--pixels"], "--pixels needs an image"),
    (["--run", RUN, "--text", "hi", "--image", "BROKEN"], "not a readable image"),
    (["--run", RUN, "--text", "hi", "--image", "MISSING.jpg"], "file not found"),
    (["--run", RUN, "--text", "hi", "--video", "PICTURE"], "the content is an image, not a video"),
])
def test_bad_input_is_one_line_and_writes_nothing(capsys, trained_home, home_args, tmp_path,
                                                  args, message) -> None:
    swap = {"BROKEN": str(_bad_image(tmp_path)), "PICTURE": str(first_image(trained_home))}
    args = [swap.get(a, a) for a in args]
    out = tmp_path / "never"
    before = row_counts(trained_home["home"])
    code, payload, err = amm_json(capsys, "explain", *home_args, *args, "--out", str(out))
    assert code != 0 and payload is None
    assert message in err and len(err.strip().splitlines()) == 1
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".never")]
    assert row_counts(trained_home["home"]) == before


def test_an_out_folder_holding_other_files_is_not_replaced(capsys, home_args, tmp_path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.txt").write_text("keep me")
    code, _, err = amm_json(capsys, "explain", *home_args, "--run", RUN, "--text", "hi",
                            "--out", str(out))
    assert code != 0 and "not an explanation folder" in err
    assert sorted(p.name for p in out.iterdir()) == ["thesis.txt"]


def test_a_video_is_read_as_the_flag_says_whatever_its_suffix(capsys, home_args,
                                                             tmp_path) -> None:
    """`.m4v` is an MP4 container `amm predict` accepts: explain reads it as a video too."""
    import numpy as np

    clip = tmp_path / "walk.m4v"
    writer = cv2.VideoWriter(str(clip), cv2.VideoWriter_fourcc(*"mp4v"), 10, (64, 48))
    for level in range(0, 240, 20):
        writer.write(np.full((48, 64, 3), level, np.uint8))
    writer.release()
    code, payload, err = amm_json(capsys, "explain", *home_args, "--run", RUN, "--text",
                                  "a walk", "--video", str(clip), "--out", str(tmp_path / "w"))
    assert code == 0, err
    explanation = payload["explanation"]
    assert explanation["visual_kind"] == "video"
    assert explanation["zone_names"] and explanation["zone_names"][0].startswith("clip")
