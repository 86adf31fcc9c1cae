"""Builders of bad inputs for the bad-input matrix (test_bad_input_matrix.py): each returns
the `amm` arguments of one case, writing what the case needs first."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.trust.fixtures import MGID_NAME, RUN_NAME, amm, write

Build = Callable[[Path, Path], "list[str] | Callable[..., object]"]


def broken_run(change: Callable[[dict], None]) -> Build:
    """A completed run whose best.pt loads as a torch file but was altered by `change`."""
    def build(home: Path, tmp: Path) -> list[str]:
        import torch

        from tests.trust.fixtures import save_random_run

        name = f"broken-{change.__name__}"
        path = save_random_run(home, name=name)
        payload = torch.load(path, weights_only=True)
        change(payload)
        torch.save(payload, path)
        return ["evaluate", "--run", name]
    return build


def no_label_sets(payload: dict) -> None:
    del payload["label_sets"]


def weights_none(payload: dict) -> None:
    payload["state_dict"] = None


def weight_missing(payload: dict) -> None:
    payload["state_dict"].pop(next(iter(payload["state_dict"])))


def config_text(payload: dict) -> None:
    payload["config"] = "a string"


def bad_normaliser(payload: dict) -> None:
    payload["extra"] = {"visual_norm": {"mu": [0.0]}}


def one_depression_name(payload: dict) -> None:
    payload["label_sets"]["depression"] = ["sad"]


def second_dataset(kind: str) -> Build:
    """Import another dataset ("other-mgid" / "other-daic") into the MGID home (kept)."""
    def build(home: Path, tmp: Path) -> list[str]:
        name = f"other-{kind}"
        if kind == "mgid":
            from amm_core.data.demo_mgid import write_mgid_demo

            write_mgid_demo(tmp / "csv", tmp / "img", seed=9, n_posts=20)
            args = ["import", "mgid", "--csv-dir", str(tmp / "csv"), "--images", str(tmp / "img")]
        else:
            from tests.data.daic_fixtures import write_daic_corpus

            args = ["import", "daic", "--root", str(write_daic_corpus(tmp / "daic"))]
        code, _, err = amm(*args, "--name", name, "--home", str(home))
        assert code in (0, 2) and (code == 0 or "already" in err), err
        return name
    return build


def resume_on(kind: str) -> Build:
    return lambda h, t: ["train", "--dataset", second_dataset(kind)(h, t), "--name", RUN_NAME,
                         "--resume"]


def broken_text_model(home: Path, tmp: Path) -> list[str]:
    from amm_core.features.text import packaged_model_folder

    folder = tmp / "tm"
    folder.mkdir()
    for part in packaged_model_folder().iterdir():
        if part.is_file() and part.name != "model.safetensors":
            write(folder / part.name, part.read_bytes())
    with open(packaged_model_folder() / "model.safetensors", "rb") as whole:
        write(folder / "model.safetensors", whole.read(100_000))  # cut short
    return ["train", "--dataset", MGID_NAME, "--text-model", str(folder), "--name", "tm-run"]


def truncated_avi(home: Path, tmp: Path) -> list[str]:
    from tests.features.media_fixtures import grey_video

    whole = grey_video(tmp / "whole.avi", [40, 80, 120, 160] * 5).read_bytes()
    path = write(tmp / "cut.avi", whole[:2000])
    return ["predict", "--run", RUN_NAME, "--text", "hi", "--video", str(path)]


def daic_labels_from(folder: str) -> Build:
    """A good corpus imported with --labels pointing at a missing or an empty folder."""
    def build(home: Path, tmp: Path) -> list[str]:
        from tests.data.daic_fixtures import write_daic_corpus

        root = write_daic_corpus(tmp / "daic")
        if folder == "empty":
            (tmp / "empty").mkdir()
        return ["import", "daic", "--root", str(root), "--labels", str(tmp / folder),
                "--name", "daic"]
    return build


def daic_damaged_zip(home: Path, tmp: Path) -> list[str]:
    """A session zip whose transcript member fails its CRC (one flipped data byte)."""
    from tests.data.daic_fixtures import SESSION_300, transcript, write_daic_labels, write_zip

    body = transcript(SESSION_300 * 40)
    (tmp / "daic").mkdir()
    path = write_zip(tmp / "daic", "300", {"300_TRANSCRIPT.csv": body})
    data = bytearray(path.read_bytes())
    at = data.index(b"300_TRANSCRIPT.csv") + 200  # inside the compressed member
    data[at] ^= 0xFF
    path.write_bytes(bytes(data))
    write_daic_labels(tmp / "daic")
    return ["import", "daic", "--root", str(tmp / "daic"), "--name", "zipped"]
