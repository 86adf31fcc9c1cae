"""The workspace folder (AMM_HOME) and the typed settings read once at each composition root."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_HOME = Path("amm_workspace")
HOME_ENV = "AMM_HOME"
DATABASE_URL_ENV = "AMM_DATABASE_URL"


@dataclass(frozen=True)
class Settings:
    """Where everything lives; built by `Settings.resolve()` in `amm_core.cli` and `app.deps`."""

    home: Path
    database_url: str

    @classmethod
    def resolve(cls, home: str | Path | None = None, env: dict[str, str] | None = None) -> Settings:
        """`home`, else $AMM_HOME, else ./amm_workspace; $AMM_DATABASE_URL overrides the DB."""
        env = dict(os.environ) if env is None else env
        chosen = Path(home) if home else Path(env.get(HOME_ENV) or DEFAULT_HOME)
        chosen = chosen.expanduser().resolve()
        url = env.get(DATABASE_URL_ENV) or f"sqlite:///{chosen / 'amm.db'}"
        return cls(home=chosen, database_url=url)

    @property
    def cache_dir(self) -> Path:
        return self.home / "cache"

    @property
    def runs_dir(self) -> Path:
        return self.home / "runs"

    @property
    def media_dir(self) -> Path:
        return self.home / "media"

    @property
    def demo_dir(self) -> Path:
        return self.home / "demo"

    def ensure(self) -> Settings:
        """Create the workspace folders (idempotent) and return self."""
        for folder in (self.home, self.cache_dir, self.runs_dir, self.media_dir, self.demo_dir):
            folder.mkdir(parents=True, exist_ok=True)
        return self
