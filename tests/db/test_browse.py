"""The browser's SQL: filters, paging, counts and a run's prediction filters on a small dataset."""

from __future__ import annotations

import pytest

from db import crud
from db import runs as db_runs
from db.browse import RunFilter, SampleFilter, audit_rows, count_samples, page_of_samples
from db.engine import open_database

DEP = ("not depressed", "depressed")
EMO = ("depressed", "neutral", "happiness")


def _rows(n: int) -> list[dict]:
    rows = []
    for i in range(n):
        rows.append({
            "external_id": f"{'train' if i < 30 else 'test'}:{i}",
            "split": "train" if i < 30 else "test",
            "title": f"Portrait {i} - stock photo" if i % 5 else f"Sunny beach {i}",
            "text": "" if i % 4 == 0 else f"caption 100% number {i}",
            "media_path": f"/img/{i}.jpg" if i % 3 else None,
            "media_kind": "image" if i % 3 else None,
            "depression_label": i % 2,
            "emotion_label": EMO[i % 3],
            "meta": {"asset_id": str(1000 + i // 2)},
        })
    return rows


def _probabilities(i: int, task: str) -> tuple[str, dict[str, float]]:
    """Sample i's prediction: depression right for even i, confidence rising with i."""
    labels = DEP if task == "depression" else EMO
    truth = i % 2 if task == "depression" else i % 3
    chosen = truth if i % 4 != 1 else (truth + 1) % len(labels)
    top = 0.5 + 0.49 * i / 40
    rest = (1 - top) / (len(labels) - 1)
    return labels[chosen], {name: (top if k == chosen else rest) for k, name in enumerate(labels)}


@pytest.fixture
def stored(tmp_path):
    _, sessions = open_database(f"sqlite:///{tmp_path / 'amm.db'}")
    with sessions() as session, session.begin():
        ds = crud.upsert_dataset(session, "d", kind="mgid", source_path=None,
                                 label_sets={"depression": list(DEP), "emotion": list(EMO)},
                                 summary={})
        crud.upsert_samples(session, ds, _rows(40))
        run = db_runs.create_run(session, "r", dataset_id=ds.id)
        ids = {s.external_id: s.id for s in db_runs.dataset_samples(session, ds.id)}
        predictions = []
        for external_id, sample_id in ids.items():
            i = int(external_id.split(":")[1])
            if i == 39:
                continue  # one sample the run never predicted
            for task in ("depression", "emotion"):
                label, probs = _probabilities(i, task)
                predictions.append({"sample_id": sample_id, "task": task, "label": label,
                                    "probabilities": probs})
        db_runs.write_predictions(session, run.id, predictions)
        return sessions, ds.id, run.id, ids


def _external(page) -> list[int]:
    return [int(r.external_id.split(":")[1]) for r in page.rows]


def test_label_split_image_and_text_filters_match_the_rows(stored):
    sessions, dataset_id, _, _ = stored
    with sessions() as session:
        assert count_samples(session, SampleFilter(dataset_id)) == 40
        flt = SampleFilter(dataset_id, split="train", depression=1, emotion="neutral")
        page = page_of_samples(session, flt, limit=50)
        assert _external(page) == [i for i in range(30) if i % 2 == 1 and i % 3 == 1]
        no_image = page_of_samples(session, SampleFilter(dataset_id, has_image=False), limit=50)
        assert _external(no_image) == [i for i in range(40) if i % 3 == 0]
        beach = page_of_samples(session, SampleFilter(dataset_id, search="BEACH"), limit=50)
        assert _external(beach) == [i for i in range(40) if i % 5 == 0]
        # '%' is a literal character, not a wildcard.
        percent = count_samples(session, SampleFilter(dataset_id, search="100% number 3"))
        assert percent == len([i for i in range(40) if i % 4 and str(i).startswith("3")])
        ids = (stored[3]["train:7"], stored[3]["train:2"])
        chosen = page_of_samples(session, SampleFilter(dataset_id, sample_ids=ids), limit=50)
        assert [r.sample_id for r in chosen.rows] == sorted(ids)


def test_paging_counts_and_clamps_past_the_last_page(stored):
    sessions, dataset_id, _, _ = stored
    with sessions() as session:
        first = page_of_samples(session, SampleFilter(dataset_id), offset=0, limit=12)
        third = page_of_samples(session, SampleFilter(dataset_id), offset=24, limit=12)
        beyond = page_of_samples(session, SampleFilter(dataset_id), offset=999, limit=12)
    assert first.total == third.total == 40
    assert _external(first) == list(range(12))
    assert _external(third) == list(range(24, 36))
    assert beyond.offset == 36 and _external(beyond) == list(range(36, 40))


def test_run_filters_correct_wrong_predicted_and_confidence(stored):
    sessions, dataset_id, run_id, _ = stored

    def run(**kw):
        return SampleFilter(dataset_id, run=RunFilter(run_id, "depression", DEP, **kw))

    with sessions() as session:
        wrong = page_of_samples(session, run(outcome="wrong"), limit=50)
        assert _external(wrong) == [i for i in range(39) if i % 4 == 1]
        assert all(r.correct is False for r in wrong.rows)
        correct = count_samples(session, run(outcome="correct"))
        assert correct == 39 - len(wrong.rows)
        predicted = page_of_samples(session, run(predicted="depressed"), limit=50)
        assert all(r.predicted == "depressed" for r in predicted.rows)
        assert len(predicted.rows) == len([i for i in range(39) if (i % 2) ^ (i % 4 == 1)])
        confident = page_of_samples(session, run(min_confidence=0.8, max_confidence=0.9), limit=50)
        assert confident.rows and all(0.8 <= r.confidence <= 0.9 for r in confident.rows)
        assert len(confident.rows) == len([i for i in range(39)
                                           if 0.8 <= 0.5 + 0.49 * i / 40 <= 0.9])
        # No narrowing filter: every sample, the unpredicted one without a prediction.
        everything = page_of_samples(session, run(), limit=50)
        assert everything.total == 40 and everything.rows[-1].predicted is None


def test_emotion_run_filter_and_confidence_order(stored):
    sessions, dataset_id, run_id, _ = stored
    flt = SampleFilter(dataset_id, split="test",
                       run=RunFilter(run_id, "emotion", EMO, outcome="correct"))
    with sessions() as session:
        page = page_of_samples(session, flt, limit=50, order="confidence-asc")
    assert _external(page) == [i for i in range(30, 39) if i % 4 != 1]
    confidences = [r.confidence for r in page.rows]
    assert confidences == sorted(confidences)
    assert all(r.predicted == r.emotion_label for r in page.rows)


def test_bad_outcome_or_order_is_refused(stored):
    sessions, dataset_id, run_id, _ = stored
    with sessions() as session, pytest.raises(ValueError, match="outcome"):
        count_samples(session, SampleFilter(
            dataset_id, run=RunFilter(run_id, "depression", DEP, outcome="maybe")))
    with sessions() as session, pytest.raises(ValueError, match="order"):
        page_of_samples(session, SampleFilter(dataset_id), order="random")


def test_audit_rows_carry_asset_ids(stored):
    sessions, dataset_id, _, _ = stored
    with sessions() as session:
        rows = audit_rows(session, dataset_id)
    assert len(rows) == 40
    assert rows[0]["asset_id"] == "1000" and rows[1]["asset_id"] == "1000"
