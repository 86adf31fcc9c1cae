"""Shared fixtures: an isolated workspace per test, never the user's ./amm_workspace."""

from __future__ import annotations

from pathlib import Path

import pytest

from amm_core.workspace import Settings


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    home = tmp_path / "home"
    monkeypatch.setenv("AMM_HOME", str(home))
    monkeypatch.delenv("AMM_DATABASE_URL", raising=False)
    return Settings.resolve(home)
