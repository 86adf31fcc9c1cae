"""A demo workspace built once per test session (through `amm demo`), shared read-only."""

from __future__ import annotations

from pathlib import Path

import pytest

from amm_core.cli import main


@pytest.fixture(scope="session")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("demo-home")
    assert main(["demo", "--home", str(home), "--json"]) == 0
    return home


@pytest.fixture
def demo_env(demo_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("AMM_HOME", str(demo_home))
    monkeypatch.delenv("AMM_DATABASE_URL", raising=False)
    return demo_home
