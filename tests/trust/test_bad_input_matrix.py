"""Bad input through the real doors (the `amm` command and the page services): each case is
refused with one line naming the problem, no traceback, and no row written to any table."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from amm_core.cli.output import CommandError
from amm_core.cli.storage import open_workspace
from amm_core.workspace import Settings
from tests.trust.bad_builders import (
    Build,
    bad_normaliser,
    broken_run,
    broken_text_model,
    config_text,
    daic_damaged_zip,
    daic_labels_from,
    no_label_sets,
    one_depression_name,
    resume_on,
    second_dataset,
    truncated_avi,
    weight_missing,
    weights_none,
)
from tests.trust.fixtures import (
    MGID_NAME,
    RUN_NAME,
    amm,
    png_claiming,
    real_jpeg,
    real_png,
    sqlite_url,
    table_counts,
    write,
)


@dataclass(frozen=True)
class Case:
    id: str
    home: str  # which session workspace: "mgid" (with an untrained run) or "daic"
    build: Build  # (home, tmp) -> amm arguments, or a service call taking the workspace
    names: str  # the words of the message that name the problem


def predict(media_flag: str, name: str, content: bytes | str) -> Build:
    def build(home: Path, tmp: Path) -> list[str]:
        path = write(tmp / name, content)
        return ["predict", "--run", RUN_NAME, "--text", "a grey day", media_flag, str(path)]
    return build


def mgid_csvs(header: str, body: str, encoding: str = "utf-8") -> Build:
    def build(home: Path, tmp: Path) -> list[str]:
        for split in ("train", "dev", "test"):
            write(tmp / "csv" / split / f"{split}.csv", (header + "\n" + body).encode(encoding))
        return ["import", "mgid", "--csv-dir", str(tmp / "csv"), "--name", "fresh"]
    return build


MGID_HEADER = "Depression Label,Emotion Label,Title,Text,Image URL"
MGID_ROW = ("TRUE,depressed,Sad woman - stock photo,café au lait at dawn,"
            "https://media.gettyimages.com/photos/sad-picture-id123")


def no_frames_video(home: Path, tmp: Path) -> list[str]:
    from tests.features.media_fixtures import grey_video

    path = grey_video(tmp / "blank.avi", [])
    return ["predict", "--run", RUN_NAME, "--text", "hi", "--video", str(path)]


def daic_with_transcript(content: bytes) -> Build:
    def build(home: Path, tmp: Path) -> list[str]:
        from tests.data.daic_fixtures import write_daic_labels

        write(tmp / "daic" / "300_P" / "300_TRANSCRIPT.csv", content)
        write_daic_labels(tmp / "daic")
        return ["import", "daic", "--root", str(tmp / "daic"), "--name", "garbage"]
    return build


def daic_with_labels(header: str) -> Build:
    def build(home: Path, tmp: Path) -> list[str]:
        from tests.data.daic_fixtures import write_daic_corpus

        root = write_daic_corpus(tmp / "daic")
        for label_file in root.glob("*split*.csv"):
            label_file.write_text(header + "\n300,1\n", encoding="utf-8")
        return ["import", "daic", "--root", str(root), "--name", "relabelled"]
    return build


def label_file(name: str, content: bytes | str, dataset: str = "daic") -> Build:
    def build(home: Path, tmp: Path) -> list[str]:
        return ["annotate", "import", str(write(tmp / name, content)), "--dataset", dataset]
    return build


def first_daic_id(home: Path) -> str:
    from sqlalchemy import create_engine, text

    engine = create_engine(sqlite_url(home))
    with engine.connect() as conn:
        found = conn.execute(text("SELECT external_id FROM samples ORDER BY id")).scalar()
    engine.dispose()
    return found


def labels_with(annotator: str, label: str) -> Build:
    def build(home: Path, tmp: Path) -> list[str]:
        body = f"sample_id,annotator,label\n{first_daic_id(home)},{annotator},{label}\n"
        return label_file("labels.csv", body)(home, tmp)
    return build


def corrupt_run(home: Path, tmp: Path) -> list[str]:
    from tests.trust.fixtures import save_random_run

    path = save_random_run(home, name="corrupt-run")
    path.write_bytes(b"PK\x03\x04 this is not a checkpoint")
    return ["evaluate", "--run", "corrupt-run"]


def service(call: Callable[..., object]) -> Build:
    return lambda home, tmp: call


def svc_give_label(label: str, sample: int | None = None) -> Build:
    from app import annotation_services as svc

    def build(home: Path, tmp: Path):
        return lambda ws: svc.give_label(ws, sample or 1, "ana", label, None)
    return build


def page_upload(media: bytes, media_name: str, text: str = "a grey day") -> Build:
    """The Upload page's service with the run's predictor, as the page calls it."""
    def build(home: Path, tmp: Path):
        from amm_core.cli.model_data import load_run_predictor
        from app import upload_services

        def call(ws):
            _, predictor = load_run_predictor(ws, RUN_NAME)
            return upload_services.predict_upload(ws, RUN_NAME, predictor, text=text,
                                                  media=media, media_name=media_name)
        return call
    return build


LONG = "x" * 5000
CASES = [
    # amm predict: images and videos as a user gives them
    Case("image-zero-bytes", "mgid", predict("--image", "empty.jpg", b""), "empty"),
    Case("image-truncated", "mgid", predict("--image", "cut.jpg", real_jpeg()[:700]), "truncated"),
    Case("image-png-named-jpg", "mgid", predict("--image", "photo.jpg", real_png()), "png"),
    Case("image-text-named-png", "mgid", predict("--image", "notes.png", "dear diary"), "image"),
    Case("image-60000x60000-header", "mgid",
         predict("--image", "huge.png", png_claiming(60_000, 60_000)), "megapixel"),
    Case("image-missing-file", "mgid",
         lambda h, t: ["predict", "--run", RUN_NAME, "--text", "x", "--image", str(t / "no.jpg")],
         "not found"),
    Case("video-no-decodable-frames", "mgid", no_frames_video, "no decodable frames"),
    Case("video-garbage-named-mp4", "mgid", predict("--video", "clip.mp4", b"\x00" * 4096),
         "video container"),
    Case("video-jpeg-named-avi", "mgid", predict("--video", "clip.avi", real_jpeg()), "avi"),
    Case("predict-empty-text-no-media", "mgid",
         lambda h, t: ["predict", "--run", RUN_NAME, "--text", "   "], "empty text"),
    Case("predict-missing-run", "mgid",
         lambda h, t: ["predict", "--run", "nope", "--text", "x"], "unknown run 'nope'"),
    Case("predict-path-like-run", "mgid",
         lambda h, t: ["predict", "--run", "../../etc/passwd", "--text", "x"], "unknown run"),
    Case("predict-unknown-dataset", "mgid",
         lambda h, t: ["predict", "--run", RUN_NAME, "--dataset", "nope"], "unknown dataset"),
    Case("evaluate-corrupt-checkpoint", "mgid", corrupt_run, "not a readable amm checkpoint"),
    Case("checkpoint-without-label-sets", "mgid", broken_run(no_label_sets), "label sets"),
    Case("checkpoint-weights-none", "mgid", broken_run(weights_none), "weights"),
    Case("checkpoint-weight-missing", "mgid", broken_run(weight_missing), "do not fit"),
    Case("checkpoint-config-a-string", "mgid", broken_run(config_text), "config"),
    Case("checkpoint-bad-normaliser", "mgid", broken_run(bad_normaliser), "normaliser"),
    Case("checkpoint-label-set-too-short", "mgid", broken_run(one_depression_name),
         "1 names for 2 classes"),
    Case("video-truncated-avi", "mgid", truncated_avi, "cannot decode"),
    Case("predict-dataset-of-another-kind", "mgid",
         lambda h, t: ["predict", "--run", RUN_NAME, "--dataset",
                       second_dataset("daic")(h, t)], "do not fit"),
    Case("predict-split-without-dataset", "mgid",
         lambda h, t: ["predict", "--run", RUN_NAME, "--text", "x", "--split", "dev"], "--split"),
    Case("predict-gender-with-dataset", "mgid",
         lambda h, t: ["predict", "--run", RUN_NAME, "--dataset", MGID_NAME, "--gender", "male"],
         "--gender"),
    # amm train
    Case("train-unknown-variant", "mgid",
         lambda h, t: ["train", "--dataset", MGID_NAME, "--variant", "gpt"], "unknown variant"),
    Case("train-unknown-dataset", "mgid",
         lambda h, t: ["train", "--dataset", "nope"], "unknown dataset 'nope'"),
    Case("train-zero-epochs", "mgid",
         lambda h, t: ["train", "--dataset", MGID_NAME, "--epochs", "0"], "--epochs"),
    Case("train-path-like-run-name", "mgid",
         lambda h, t: ["train", "--dataset", MGID_NAME, "--name", "../../escape"], "run name"),
    Case("train-empty-run-name", "mgid",
         lambda h, t: ["train", "--dataset", MGID_NAME, "--name", ""], "run name"),
    Case("train-negative-seed", "mgid",
         lambda h, t: ["train", "--dataset", MGID_NAME, "--seed", "-5"], "seed"),
    Case("train-huge-seed", "mgid",
         lambda h, t: ["train", "--dataset", MGID_NAME, "--seed", str(2**64)], "seed"),
    Case("train-epochs-not-a-number", "mgid",
         lambda h, t: ["train", "--dataset", MGID_NAME, "--epochs", "ten"], "whole number"),
    Case("train-unknown-task", "mgid",
         lambda h, t: ["train", "--dataset", MGID_NAME, "--variant", "stl", "--task", "joy"],
         "invalid choice"),
    Case("train-task-without-labels", "daic",
         lambda h, t: ["train", "--dataset", "daic", "--variant", "stl", "--task", "emotion"],
         "no emotion label"),
    Case("train-resume-on-another-dataset", "mgid", resume_on("mgid"), "was trained on"),
    Case("train-broken-text-model", "mgid", broken_text_model, "cannot be loaded"),
    Case("experiment-zero-epochs", "mgid",
         lambda h, t: ["experiment", "--dataset", MGID_NAME, "--suite", "paper", "--epochs",
                       "0"], "--epochs"),
    Case("experiment-negative-seed", "mgid",
         lambda h, t: ["experiment", "--dataset", MGID_NAME, "--suite", "paper", "--seeds", "1",
                       "-1"], "seed"),
    # amm import mgid
    Case("mgid-not-utf8", "mgid", mgid_csvs(MGID_HEADER, MGID_ROW, "latin-1"), "utf-8"),
    Case("mgid-missing-columns", "mgid",
         mgid_csvs("Depression Label,Title,Text", "TRUE,t,x"), "missing column"),
    Case("mgid-empty-csv", "mgid", mgid_csvs("", ""), "empty"),
    Case("mgid-folder-missing", "mgid",
         lambda h, t: ["import", "mgid", "--csv-dir", str(t / "nowhere")], "not found"),
    Case("mgid-path-like-name", "mgid",
         lambda h, t: [*mgid_csvs(MGID_HEADER, MGID_ROW)(h, t)[:-1], "../../etc/passwd"],
         "dataset name"),
    Case("mgid-absurdly-long-name", "mgid",
         lambda h, t: [*mgid_csvs(MGID_HEADER, MGID_ROW)(h, t)[:-1], LONG], "dataset name"),
    # amm import daic
    Case("daic-binary-transcript", "daic",
         daic_with_transcript(b"\x00\x01garbage\xff\n;;;;\nnot a transcript\n"), "300"),
    Case("daic-only-garbage-rows", "daic",
         daic_with_transcript(b"start_time\tstop_time\tspeaker\tvalue\nhello world\n;;;;\n"
                              b"1\t2\n\tx\tParticipant\n"), "no samples found"),
    Case("mgid-header-only", "mgid", mgid_csvs(MGID_HEADER, ""), "no samples found"),
    Case("daic-labels-missing-columns", "daic",
         daic_with_labels("Participant_ID,Gender"), "phq"),
    Case("daic-labels-folder-missing", "daic", daic_labels_from("nope"),
         "labels folder not found"),
    Case("daic-labels-folder-without-label-files", "daic", daic_labels_from("empty"),
         "none of the daic label files"),
    Case("daic-damaged-zip-member", "daic", daic_damaged_zip, "300_P.zip"),
    Case("mgid-quote-left-open", "mgid",
         mgid_csvs(MGID_HEADER, MGID_ROW + '\nFALSE,Fear,T,"open caption, x,https://a-id9\n'
                   + MGID_ROW), "quote left open"),
    Case("daic-root-missing", "daic",
         lambda h, t: ["import", "daic", "--root", str(t / "nowhere")], "not found"),
    # amm annotate import / export / adjudicate
    Case("labels-unknown-label", "daic", labels_with("ana", "ecstatic"), "ecstatic"),
    Case("labels-unknown-sample", "daic",
         label_file("labels.csv", "sample_id,annotator,label\n999_9,ana,sad\n"), "999_9"),
    Case("labels-not-utf8", "daic",
         label_file("labels.csv", "sample_id,annotator,label\n300_1,andré,sad\n".encode("latin-1")),
         "utf-8"),
    Case("labels-missing-columns", "daic",
         label_file("labels.csv", "sample_id,label\n300_1,sad\n"), "annotator"),
    Case("labels-absurdly-long-annotator", "daic", labels_with(LONG, "sad"), "annotator"),
    Case("labels-unknown-dataset", "daic",
         label_file("labels.csv", "sample_id,annotator,label\n", dataset="nope"),
         "unknown dataset"),
    Case("export-unknown-dataset", "daic",
         lambda h, t: ["annotate", "export", "--dataset", "nope", "--format", "csv"],
         "unknown dataset"),
    Case("adjudicate-unknown-label", "daic",
         lambda h, t: ["annotate", "adjudicate", "--dataset", "daic", "--sample",
                       first_daic_id(h), "--label", "ecstatic", "--adjudicator", "dr lee"],
         "ecstatic"),
    # amm download-mgid-images
    Case("download-csv-folder-missing", "mgid",
         lambda h, t: ["download-mgid-images", "--csv-dir", str(t / "none"), "--out",
                       str(t / "img")], "not found"),
    Case("download-zero-workers", "mgid",
         lambda h, t: ["download-mgid-images", "--csv-dir", str(t), "--out", str(t / "img"),
                       "--workers", "0"], "--workers"),
    Case("predict-absurdly-long-text", "mgid",
         lambda h, t: ["predict", "--run", RUN_NAME, "--text", "sad " * 250_000], "characters"),
    # the Upload page's service
    Case("page-upload-path-like-name", "mgid",
         page_upload(b"MZ\x90\x00 not a picture", "../../etc/passwd"), "passwd"),
    Case("page-upload-zero-bytes", "mgid", page_upload(b"", "photo.jpg"), "empty"),
    Case("page-upload-60000x60000-header", "mgid",
         page_upload(png_claiming(60_000, 60_000), "huge.png"), "megapixel"),
    # the Annotation / Agreement page services
    Case("page-label-outside-label-set", "daic", svc_give_label("ecstatic"), "ecstatic"),
    Case("page-label-unknown-sample", "daic", svc_give_label("sad", 10**6), "sample"),
    Case("page-blank-annotator", "daic",
         service(lambda ws: __import__("app.annotation_services").annotation_services
                 .ensure_annotator(ws, "   ", "annotator")), "name"),
    Case("page-absurdly-long-annotator", "daic",
         service(lambda ws: __import__("app.annotation_services").annotation_services
                 .ensure_annotator(ws, LONG, "annotator")), "name"),
    Case("page-agreement-unknown-dataset", "daic",
         service(lambda ws: __import__("app.annotation_services").annotation_services
                 .agreement(ws, "../../etc/passwd")), "unknown dataset"),
]


def test_the_matrix_is_wide():
    assert len(CASES) >= 25 and len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_one_line_and_writes_nothing(case: Case, request, tmp_path: Path):
    home = request.getfixturevalue(f"{case.home}_home")
    target = case.build(home, tmp_path)  # may write files (and, for one case, a run row)
    before = table_counts(sqlite_url(home))
    if isinstance(target, list):
        code, out, err = amm(*target, "--home", str(home))
        assert code != 0, out
        errors = [line for line in err.splitlines() if line.startswith("amm: error:")]
        assert len(errors) == 1, err
        # Progress and per-row notes may come first; no usage block, no native library noise.
        assert not any(line.startswith("usage:") for line in err.splitlines()), err
        assert all(line.isprintable() for line in err.splitlines()), err
        assert "Unexpected element" not in err, err
        message, everything = errors[0], err
    else:
        workspace = open_workspace(Settings.resolve(home))
        with pytest.raises((ValueError, CommandError)) as raised:
            target(workspace)
        workspace.engine.dispose()
        message = everything = str(raised.value)
        assert "\n" not in message
    assert "Traceback" not in everything
    assert case.names.lower() in everything.lower(), message
    assert len(message) < 600, message
    assert table_counts(sqlite_url(home)) == before


def test_a_damaged_video_is_one_line_on_the_real_stderr(mgid_home: Path, tmp_path: Path):
    """OpenCV's AVI parser writes to file descriptor 2 itself, which only a real process shows:
    the whole of stderr must be our one line."""
    from tests.cli.helpers import amm_subprocess

    args = truncated_avi(mgid_home, tmp_path)
    done = amm_subprocess(*args, "--home", str(mgid_home))
    assert done.returncode == 2
    assert done.stderr.strip().startswith("amm: error:") and "cannot decode" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
