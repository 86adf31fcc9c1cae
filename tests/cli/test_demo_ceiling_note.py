"""`amm experiment` on the demo corpus adds the demo ceiling to its notes, read from the stored
test split; a corpus that is not the demo's (here: one relabelled row) gets no such line."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from amm_core.cli import main
from amm_core.cli.commands_experiment import _demo_ceiling
from amm_core.cli.storage import open_workspace
from amm_core.data import demo_ceiling as dc
from amm_core.data.demo_mgid import plan_posts, write_csvs
from amm_core.workspace import Settings


def _import(root: Path, name: str, relabel_last_test_row: bool = False) -> Path:
    posts = plan_posts(np.random.default_rng([dc.DEMO_SEED, 1]), dc.DEMO_POSTS)
    if relabel_last_test_row:
        last = max(i for i, p in enumerate(posts) if p.split == "test")
        posts[last] = replace(posts[last], depression=not posts[last].depression)
    write_csvs(root / "csv", posts)
    (root / "images").mkdir(exist_ok=True)  # no pictures needed: ids come from the URLs
    home = root / "home"
    assert main(["import", "mgid", "--csv-dir", str(root / "csv"), "--images",
                 str(root / "images"), "--name", name, "--home", str(home)]) == 0
    return home


@pytest.mark.parametrize("relabelled", [False, True])
def test_the_demo_ceiling_line_only_for_the_demo_test_split(tmp_path, relabelled):
    home = _import(tmp_path, "my-demo-copy", relabel_last_test_row=relabelled)
    notes = _demo_ceiling(open_workspace(Settings.resolve(home)), "my-demo-copy")
    if relabelled:
        assert notes == []
    else:
        expected = dc.ceiling(dc.demo_posts("test"))["caption + picture"]
        assert len(notes) == 1 and notes[0].startswith("demo ceiling:")
        assert f"is {expected:.1f}" in notes[0]
