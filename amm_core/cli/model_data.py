"""Database samples -> `Sample` records -> feature items, for the model commands."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from amm_core.cli.output import CommandError, Output
from amm_core.cli.storage import Workspace
from amm_core.config import FeatureConfig
from amm_core.data.records import Sample
from amm_core.dataset import FeatureItem, featurize_samples
from db import crud
from db import runs as db_runs


@dataclass
class DatasetSamples:
    name: str
    dataset_id: int
    kind: str
    label_sets: dict[str, list[str]]
    ids: list[int]
    samples: list[Sample]

    def split(self, name: str) -> tuple[list[int], list[Sample]]:
        chosen = [(i, s) for i, s in zip(self.ids, self.samples, strict=True) if s.split == name]
        return [i for i, _ in chosen], [s for _, s in chosen]


def _record(row: Any, gold: dict[int, str]) -> Sample:
    """A stored sample as a record; a gold label (issue 4) is the emotion label when present."""
    return Sample(
        external_id=row.external_id, split=row.split, text=row.text, title=row.title,
        context=row.context, media_path=row.media_path, media_kind=row.media_kind,
        session_id=row.session_id, participant_id=row.participant_id,
        start_time=row.start_time, stop_time=row.stop_time, gender=row.gender,
        depression_label=row.depression_label,
        emotion_label=gold.get(row.id, row.emotion_label), meta=dict(row.meta or {}),
    )


def load_dataset(workspace: Workspace, name: str) -> DatasetSamples:
    with workspace.sessions() as session:
        dataset = crud.get_dataset(session, name)
        if dataset is None:
            known = ", ".join(d.name for d in crud.list_datasets(session)) or "none yet"
            raise CommandError(f"unknown dataset '{name}' (known: {known})")
        gold = db_runs.gold_labels(session, dataset.id)
        rows = db_runs.dataset_samples(session, dataset.id)
        return DatasetSamples(
            name=name, dataset_id=dataset.id, kind=dataset.kind,
            label_sets=dict(dataset.label_sets or {}), ids=[r.id for r in rows],
            samples=[_record(r, gold) for r in rows],
        )


def featurize(
    workspace: Workspace, samples: list[Sample], config: FeatureConfig,
    label_sets: dict[str, list[str]], out: Output, device: str | None = None,
) -> list[FeatureItem]:
    """Feature items through the workspace cache, with progress lines on stderr."""
    last: dict[str, int] = {}

    def progress(stage: str, done: int, total: int) -> None:
        step = max(total // 10, 1)
        if done == total or done - last.get(stage, -step) >= step:
            last[stage] = done
            out.progress(f"features [{stage}] {done}/{total}")

    try:
        return featurize_samples(samples, config, workspace.settings.cache_dir, label_sets,
                                 device=device, progress=progress)
    except ValueError as exc:  # e.g. a text model that is not available offline
        raise CommandError(str(exc)) from exc


def load_run_predictor(workspace: Workspace, name: str, device: str = "auto"):
    """(run row, Predictor) for a finished run; CommandError when it cannot be used."""
    from amm_core.checkpoint import CheckpointError
    from amm_core.predict import Predictor

    with workspace.sessions() as session:
        run = crud.get_run(session, name)
        if run is None:
            known = ", ".join(r.name for r in db_runs.list_runs(session)) or "none yet"
            raise CommandError(f"unknown run '{name}' (known: {known})")
        if not run.checkpoint_path:
            raise CommandError(f"run '{name}' has no checkpoint (status: {run.status})")
    try:
        predictor = Predictor.from_checkpoint(Path(run.checkpoint_path),
                                              workspace.settings.cache_dir, device)
    except (CheckpointError, ValueError) as exc:
        raise CommandError(str(exc)) from exc
    predictor.untrained_tasks = tuple((run.config or {}).get("untrained_tasks") or ())
    return run, predictor
