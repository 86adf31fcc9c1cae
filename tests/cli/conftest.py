"""A small MGID-format workspace with one trained run, built once for the model-command tests."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest

from amm_core.cli import main
from tests.cli.helpers import import_small_mgid

RUN = "small-amm"


@pytest.fixture(scope="session")
def trained_home(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """40 MGID-format posts with drawn images, imported as `small`, and `small-amm` trained."""
    root = tmp_path_factory.mktemp("trained")
    home = import_small_mgid(root, seed=3)
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = main(["train", "--dataset", "small", "--epochs", "3", "--name", RUN, "--home",
                     str(home), "--json"])
    assert code == 0
    return {"home": home, "images": root / "images", "train": json.loads(buffer.getvalue()),
            "root": root}


@pytest.fixture
def home_args(trained_home: dict) -> list[str]:
    return ["--home", str(trained_home["home"])]


def first_image(trained_home: dict) -> Path:
    return sorted(trained_home["images"].glob("*.jpg"))[0]
