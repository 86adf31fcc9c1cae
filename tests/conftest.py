"""Shared fixtures: an isolated workspace per test, never the user's ./amm_workspace, and one demo
workspace built per test session (through `amm demo`), shared read-only."""

from __future__ import annotations

from pathlib import Path

import pytest

from amm_core.cli import main
from amm_core.workspace import Settings


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    home = tmp_path / "home"
    monkeypatch.setenv("AMM_HOME", str(home))
    monkeypatch.delenv("AMM_DATABASE_URL", raising=False)
    return Settings.resolve(home)


@pytest.fixture(scope="session")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("demo-home")
    assert main(["demo", "--home", str(home), "--json"]) == 0
    return home
