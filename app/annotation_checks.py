"""Checks the annotation services run before writing: a usable person name, a sample that
exists, and a label from its dataset's label set. Each raises ValueError with one line."""

from __future__ import annotations

from amm_core.cli.storage import Workspace
from annotations.interop import annotator_name_problem
from db.models import Dataset, Sample


def person_name(name: str) -> str:
    """`name` stripped; ValueError when blank, over 100 characters or multi-line."""
    problem = annotator_name_problem(name or "")
    if problem:
        raise ValueError(problem.replace("empty annotator", "an annotator needs a name"))
    return name.strip()


def label_for_sample(workspace: Workspace, sample_id: int, label: str) -> None:
    """ValueError unless the sample exists and `label` is in its dataset's emotion label set."""
    with workspace.sessions() as session:
        sample = session.get(Sample, sample_id)
        if sample is None:
            raise ValueError(f"sample {sample_id} does not exist (was its dataset deleted?)")
        allowed = list((session.get(Dataset, sample.dataset_id).label_sets or {})
                       .get("emotion", []))
    if allowed and label not in allowed:
        raise ValueError(f"label '{label}' is not one of {', '.join(allowed)}")
