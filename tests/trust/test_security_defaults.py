"""Security defaults: the dashboard's server settings, the decoded-pixel and video-length limits
of `amm predict`, checkpoints loaded with `weights_only=True` (a pickle that runs code is
refused, and the code never runs), and the optional OIDC login naming the annotator."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import tomllib
import torch
from streamlit.testing.v1 import AppTest

from tests.trust.fixtures import (
    AUTH,
    RUN_NAME,
    amm,
    png_claiming,
    sqlite_url,
    table_counts,
    write,
)

ROOT = Path(__file__).resolve().parents[2]


def test_streamlit_serves_localhost_only_without_telemetry_with_xsrf_and_an_upload_cap():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["address"] == "127.0.0.1"
    assert config["browser"]["gatherUsageStats"] is False
    assert config["server"]["enableXsrfProtection"] is True
    assert config["server"]["maxUploadSize"] == 50


def refused_by_predict(home: Path, *args: str) -> str:
    before = table_counts(sqlite_url(home))
    code, _, err = amm("predict", "--run", RUN_NAME, "--text", "x", *args, "--home", str(home))
    assert code != 0 and "Traceback" not in err
    assert table_counts(sqlite_url(home)) == before
    return err


def test_an_image_over_the_decoded_pixel_limit_is_refused_before_decoding(mgid_home, tmp_path):
    # 6,400 x 6,400 = 41 megapixels, just over the 40-megapixel limit; the body is a few bytes,
    # so only the header check can name the problem
    image = write(tmp_path / "big.png", png_claiming(6400, 6400))
    assert "40-megapixel limit" in refused_by_predict(mgid_home, "--image", str(image))


def test_a_video_over_the_length_limit_is_refused(mgid_home, tmp_path):
    from amm_core.uploads import MAX_VIDEO_SECONDS

    path = str(tmp_path / "long.avi")  # tiny frames at 1 per second, one past the limit
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*"MJPG"), 1, (16, 16))
    for _ in range(int(MAX_VIDEO_SECONDS) + 1):
        writer.write(np.zeros((16, 16, 3), np.uint8))
    writer.release()
    assert "second limit" in refused_by_predict(mgid_home, "--video", path)


class RunsCode:
    """Unpickling this calls Path.touch on the marker: what a malicious checkpoint would do."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def test_a_pickled_checkpoint_that_runs_code_is_refused(mgid_home, tmp_path):
    from amm_core.checkpoint import CheckpointError, load_checkpoint
    from tests.trust.fixtures import save_random_run

    marker = tmp_path / "pwned"
    path = save_random_run(mgid_home, name="evil-run")
    torch.save({"format_version": 1, "payload": RunsCode(marker)}, path)
    with pytest.raises(CheckpointError, match="not a readable AMM checkpoint"):
        load_checkpoint(path)
    code, _, err = amm("predict", "--run", "evil-run", "--text", "x", "--home", str(mgid_home))
    assert code != 0 and "not a readable AMM checkpoint" in err
    assert not marker.exists()  # weights_only=True: the code never ran
    torch.load(path, weights_only=False)  # the same file, loaded unsafely, does run it
    assert marker.exists()




def test_with_login_configured_nobody_gets_in_without_signing_in(mgid_home, monkeypatch):
    monkeypatch.setenv("AMM_HOME", str(mgid_home))
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=60)
    at.secrets["auth"] = AUTH
    at.user = {"is_logged_in": False}
    at.run()
    assert not at.exception
    assert at.button(key="auth_login")  # the sign-in screen, and nothing else
    assert not at.get("selectbox") and not at.get("dataframe")


def test_a_signed_in_annotator_is_named_by_their_identity(monkeypatch, daic_copy):
    monkeypatch.setenv("AMM_HOME", str(daic_copy))
    at = AppTest.from_file(str(ROOT / "app" / "pages" / "annotate.py"), default_timeout=60)
    at.secrets["auth"] = AUTH
    at.user = {"is_logged_in": True, "email": "dr.lee@clinic.example", "name": "Dr Lee"}
    at.run()
    assert not at.exception
    assert not [t for t in at.text_input if t.key == "ann_name"]  # no name to type
    at.button(key="ann_label_sad").click().run()
    assert not at.exception
    from tests.trust.test_admin import query

    assert query(daic_copy, "SELECT a.name, l.label FROM annotations l JOIN annotators a "
                            "ON a.id = l.annotator_id") == [("dr.lee@clinic.example", "sad")]


@pytest.fixture
def daic_copy(tmp_path: Path) -> Path:
    from tests.data.daic_fixtures import write_daic_corpus
    from tests.trust.fixtures import amm_json

    home = tmp_path / "home"
    amm_json("import", "daic", "--root", str(write_daic_corpus(tmp_path / "daic")), "--home",
             str(home))
    return home


def test_a_signed_in_adjudicator_cannot_adjudicate_under_another_name(monkeypatch, daic_copy,
                                                                      tmp_path):
    """With login on, the Agreement page takes the signed-in identity, not a typed name."""
    from tests.trust.fixtures import amm_json, write
    from tests.trust.test_admin import query

    ids = [r[0] for r in query(daic_copy, "SELECT external_id FROM samples ORDER BY id")][:1]
    labels = write(tmp_path / "l.csv", f"sample_id,annotator,label\n{ids[0]},ana,sad\n"
                                       f"{ids[0]},ben,non-sad\n")
    amm_json("annotate", "import", str(labels), "--dataset", "daic", "--home", str(daic_copy))
    amm_json("admin", "grant", "root", "--role", "admin", "--bootstrap", "--home",
             str(daic_copy))
    amm_json("admin", "grant", "mallory@clinic.example", "--role", "adjudicator", "--actor",
             "root", "--home", str(daic_copy))
    monkeypatch.setenv("AMM_HOME", str(daic_copy))
    at = AppTest.from_file(str(ROOT / "app" / "pages" / "agreement.py"), default_timeout=60)
    at.secrets["auth"] = AUTH
    at.user = {"is_logged_in": True, "email": "mallory@clinic.example", "name": "Mallory"}
    at.run()
    assert not at.exception
    assert not [t for t in at.text_input if t.key == "agr_judge"]  # no name to type
    gold = next(b for b in at.button if b.key.startswith("agr_gold_") and b.key.endswith("_sad"))
    gold.click().run()
    assert query(daic_copy, "SELECT a.name, e.action FROM annotation_events e JOIN annotators a "
                            "ON a.id = e.annotator_id WHERE e.action = 'adjudicate'") == [
        ("mallory@clinic.example", "adjudicate")]
