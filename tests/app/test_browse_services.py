"""Browser services without Streamlit: the thumbnail disk cache and one post's detail."""

from __future__ import annotations

import os

import cv2
import numpy as np
import pytest

from amm_core.cli.storage import open_workspace, store_import
from amm_core.data.demo_mgid import write_mgid_demo
from amm_core.data.mgid import read_mgid
from amm_core.features.colour import hsv_histogram
from app import browse_services as svc
from app import thumbnail_cache
from db import crud
from db import runs as db_runs
from db.models import Sample


def test_a_thumbnail_is_made_once_and_remade_when_the_image_changes(tmp_path):
    source = tmp_path / "big.png"
    cv2.imwrite(str(source), np.full((600, 900, 3), 200, np.uint8))
    first = thumbnail_cache.thumbnail(source, tmp_path / "cache")
    assert first is not None and first.suffix == ".jpg"
    assert max(cv2.imread(str(first)).shape[:2]) == thumbnail_cache.THUMBNAIL_EDGE
    made = first.stat().st_mtime_ns
    assert thumbnail_cache.thumbnail(source, tmp_path / "cache") == first
    assert first.stat().st_mtime_ns == made  # served from the cache, not re-encoded

    cv2.imwrite(str(source), np.full((100, 50, 3), 10, np.uint8))
    os.utime(source, ns=(made + 10**9, made + 10**9))
    second = thumbnail_cache.thumbnail(source, tmp_path / "cache")
    assert second != first and cv2.imread(str(second)).shape[:2] == (100, 50)


def test_an_unreadable_image_is_tried_once(tmp_path, monkeypatch):
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not an image at all")
    assert thumbnail_cache.thumbnail(broken, tmp_path / "cache") is None
    monkeypatch.setattr(thumbnail_cache, "read_rgb", lambda path: pytest.fail("decoded again"))
    assert thumbnail_cache.thumbnail(broken, tmp_path / "cache") is None
    assert thumbnail_cache.thumbnail(tmp_path / "gone.jpg", tmp_path / "cache") is None


@pytest.fixture
def small_workspace(tmp_path, settings):
    write_mgid_demo(tmp_path / "csv", tmp_path / "img", seed=3, n_posts=24)
    workspace = open_workspace(settings)
    store_import(workspace, read_mgid(tmp_path / "csv", tmp_path / "img"), "mini")
    with workspace.sessions() as session, session.begin():
        dataset = crud.get_dataset(session, "mini")
        run = db_runs.create_run(session, "fake", dataset_id=dataset.id)
        db_runs.update_run(session, run.id, status="completed")
        samples = db_runs.dataset_samples(session, dataset.id)
        db_runs.write_predictions(session, run.id, [
            {"sample_id": s.id, "task": "depression", "label": "depressed",
             "probabilities": {"not depressed": 0.3, "depressed": 0.7}} for s in samples])
    return workspace, [s.id for s in samples]


def test_detail_has_the_projects_hsv_histogram_and_the_runs_probabilities(small_workspace):
    workspace, ids = small_workspace
    detail = svc.sample_detail(workspace, ids[0], "fake")
    from amm_core.config import resolve_config
    from amm_core.features.image import decode_resized

    f = resolve_config("mgid").features  # the model's own reading, as its colour feature
    rgb = decode_resized(detail.image_path.read_bytes(), detail.image_path.name,
                         f.image_input_size())
    assert np.allclose(detail.hsv, hsv_histogram(rgb, f.hsv_bins))
    assert detail.predictions["depression"]["probabilities"]["depressed"] == 0.7
    assert detail.labels["depression"] in ("depressed", "not depressed")
    with pytest.raises(svc.BrowseError, match="unknown run"):
        svc.sample_detail(workspace, ids[0], "nope")


def test_a_missing_image_file_leaves_a_text_only_card_and_detail(small_workspace):
    workspace, ids = small_workspace
    with workspace.sessions() as session:
        sample = session.get(Sample, ids[0])
        path, depressed = sample.media_path, sample.depression_label == 1
    os.remove(path)
    result = svc.browse_page(workspace, svc.BrowseRequest("mini", run="fake"))
    card = next(c for c in result.cards if c.sample_id == ids[0])
    assert card.thumbnail is None and card.has_image
    assert card.prediction.startswith("depressed (0.70)") and card.correct is depressed
    assert svc.sample_detail(workspace, ids[0]).image_path is None
