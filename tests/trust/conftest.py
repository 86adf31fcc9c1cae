"""Workspaces for the trust tests, built once per session: a small MGID import with an untrained
run (for `amm predict` input checks) and a small DAIC import (for annotation)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.trust.fixtures import MGID_NAME, amm, save_random_run


@pytest.fixture(scope="session")
def mgid_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from amm_core.data.demo_mgid import write_mgid_demo

    root = tmp_path_factory.mktemp("trust-mgid")
    write_mgid_demo(root / "csv", root / "images", seed=5, n_posts=12)
    home = root / "home"
    code, _, err = amm("import", "mgid", "--csv-dir", str(root / "csv"), "--images",
                       str(root / "images"), "--name", MGID_NAME, "--home", str(home))
    assert code == 0, err
    save_random_run(home)
    return home


@pytest.fixture(scope="session")
def daic_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.data.daic_fixtures import write_daic_corpus

    root = tmp_path_factory.mktemp("trust-daic")
    home = root / "home"
    code, _, err = amm("import", "daic", "--root", str(write_daic_corpus(root / "daic")),
                       "--home", str(home))
    assert code == 0, err
    return home
