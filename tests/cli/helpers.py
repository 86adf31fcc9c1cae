"""Run the `amm` command in-process (fast) or as a real subprocess, and count database rows."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, inspect, text

from amm_core.cli import main


def import_small_mgid(root: Path, seed: int, name: str = "small") -> Path:
    """40 MGID-format posts with drawn images under `root`, imported as `name`; the home."""
    from amm_core.data.demo_mgid import write_mgid_demo

    write_mgid_demo(root / "mgid", root / "images", seed=seed, n_posts=40)
    home = root / "home"
    assert main(["import", "mgid", "--csv-dir", str(root / "mgid"), "--images",
                 str(root / "images"), "--name", name, "--home", str(home)]) == 0
    return home


def amm_json(capsys, *args: str) -> tuple[int, dict[str, Any] | None, str]:
    """(exit code, parsed JSON or None, stderr) of `amm ARGS --json`."""
    code = main([*args, "--json"])
    captured = capsys.readouterr()
    payload = json.loads(captured.out) if code == 0 and captured.out.strip() else None
    return code, payload, captured.err


def amm_subprocess(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """The installed `amm` console script (the real door), else `python -m amm_core.cli`."""
    exe = shutil.which("amm")
    command = [exe] if exe else [sys.executable, "-m", "amm_core.cli"]
    return subprocess.run([*command, *args], capture_output=True, text=True, cwd=cwd, timeout=300)


def row_counts(home: Path) -> dict[str, int]:
    """Rows per table in the workspace database ({} when there is no database yet)."""
    path = home / "amm.db"
    if not path.exists():
        return {}
    engine = create_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        names = inspect(conn).get_table_names()
        counts = {n: conn.execute(text(f'SELECT COUNT(*) FROM "{n}"')).scalar() for n in names}
    engine.dispose()
    return counts
