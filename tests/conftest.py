"""Shared fixtures: an isolated workspace per test, never the user's ./amm_workspace, and one demo
workspace built per test session (through `amm demo`), shared read-only, with a writable copy of
its database per test."""

from __future__ import annotations

import sqlite3
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


@pytest.fixture
def demo_copy(demo_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The demo's database (runs, predictions) in a home of its own, for tests that write; the
    checkpoints and media are read where the demo keeps them."""
    home = tmp_path / "home"
    home.mkdir()
    with sqlite3.connect(demo_home / "amm.db") as source, \
            sqlite3.connect(home / "amm.db") as copy:
        source.backup(copy)  # consistent even while the demo's WAL is not checkpointed
    monkeypatch.setenv("AMM_HOME", str(home))
    monkeypatch.delenv("AMM_DATABASE_URL", raising=False)
    return home
