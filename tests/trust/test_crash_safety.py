"""A process killed with SIGKILL in the middle of an import, a training run or a feature
extraction leaves a consistent database (no half import, the run shown failed and resumable),
a usable cache, and `PRAGMA integrity_check` ok; re-running completes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from sqlalchemy import create_engine, text

from amm_core.cli.storage import open_workspace
from amm_core.features.cache import decode_entry
from amm_core.workspace import Settings
from tests.trust.fixtures import MGID_NAME, amm, amm_json, sqlite_url, table_counts

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def start_amm(home: Path, *args: str, pause_at: str | None = None,
              marker: Path | None = None) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AMM_TEST_PAUSE")}
    env.pop("AMM_DATABASE_URL", None)
    if pause_at:
        env.update(AMM_TEST_PAUSE_AT=pause_at, AMM_TEST_PAUSE_MARKER=str(marker))
    return subprocess.Popen([sys.executable, "-m", "amm_core.cli", *args, "--home", str(home)],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def wait_for(condition, proc: subprocess.Popen, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert proc.poll() is None, "the process ended before the point where it was to be killed"
        assert time.monotonic() < deadline, "timed out waiting for the process"
        time.sleep(0.25)


def kill(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(timeout=30) == -signal.SIGKILL


def integrity(home: Path) -> str:
    engine = create_engine(sqlite_url(home))
    with engine.connect() as conn:
        result = conn.execute(text("PRAGMA integrity_check")).scalar()
    engine.dispose()
    return result


def write_csvs(folder: Path, rows_per_split: int) -> Path:
    from tests.data.mgid_fixtures import getty_url, mgid_row, write_mgid_csvs

    rows = {split: [mgid_row("TRUE" if i % 2 else "FALSE", "Neutral", f"post {split} {i}",
                             getty_url(1000 + i)) for i in range(rows_per_split)]
            for split in ("train", "dev", "test")}
    return write_mgid_csvs(folder, rows)


def test_import_killed_before_commit_leaves_the_old_import(tmp_path):
    home, marker = tmp_path / "home", tmp_path / "paused"
    amm_json("import", "mgid", "--csv-dir", str(write_csvs(tmp_path / "old", 10)),
             "--home", str(home))
    old = table_counts(sqlite_url(home))
    proc = start_amm(home, "import", "mgid", "--csv-dir", str(write_csvs(tmp_path / "new", 500)),
                     pause_at="import-commit", marker=marker)
    wait_for(marker.exists, proc)  # every new row written, the transaction not yet committed
    kill(proc)
    assert table_counts(sqlite_url(home)) == old  # the old import, whole
    assert old["samples"] == 30
    assert integrity(home) == "ok"
    again = amm_json("import", "mgid", "--csv-dir", str(tmp_path / "new"), "--home", str(home))
    assert again["samples"] == 1500 and table_counts(sqlite_url(home))["samples"] == 1500


def _run_row(home: Path, name: str) -> tuple[str, str] | None:
    """(status, message) of the run, read with a plain query (cheap enough to poll)."""
    engine = create_engine(sqlite_url(home))
    with engine.connect() as conn:
        row = conn.execute(text("SELECT status, message FROM model_runs WHERE name = :n"),
                           {"n": name}).first()
    engine.dispose()
    return (row[0], row[1] or "") if row else None


def test_training_killed_mid_run_is_shown_failed_and_resumable(mgid_home: Path):
    from amm_core.checkpoint import load_checkpoint
    from app.run_services import run_rows

    name = "killed-run"
    proc = start_amm(mgid_home, "train", "--dataset", MGID_NAME, "--epochs", "500", "--name", name,
                     "--modalities", "text")  # no picture features: the kill comes sooner
    wait_for(lambda: (_run_row(mgid_home, name) or ("", ""))[1].startswith("epoch "), proc)
    kill(proc)
    assert _run_row(mgid_home, name)[0] == "running"  # what the row says until it is read
    rows = {r["run"]: r for r in run_rows(open_workspace(Settings.resolve(mgid_home)))}
    assert rows[name]["status"] == "failed"
    status, message = _run_row(mgid_home, name)
    assert status == "failed" and "stopped without finishing" in message
    assert integrity(mgid_home) == "ok"
    last = load_checkpoint(mgid_home / "runs" / name / "last.pt")  # `--resume` starts here
    assert last.epoch >= 1 and last.optimizer_state is not None
    more = str(last.epoch + 1)  # one more epoch than the killed process finished
    code, out, err = amm("train", "--dataset", MGID_NAME, "--name", name, "--modalities", "text",
                         "--resume", "--epochs", more, "--home", str(mgid_home), "--json")
    assert code == 0, err
    assert f"epoch {more}/{more}" in err and f"epoch 1/{more}" not in err  # one epoch, not all
    resumed = json.loads(out)
    assert resumed["status"] == "completed" and resumed["epochs_run"] == last.epoch + 1
    assert _run_row(mgid_home, name)[0] == "completed"
    history = load_checkpoint(mgid_home / "runs" / name / "last.pt").extra["history"]
    assert history[:last.epoch] == last.extra["history"]  # the killed epochs kept, not re-run


def _cache_entries(home: Path) -> dict[str, dict]:
    return {p.relative_to(home / "cache").as_posix(): decode_entry(p.read_bytes())
            for p in sorted((home / "cache").rglob("*.safetensors"))}


def _same(a: dict, b: dict) -> bool:
    """Same entries, same values to float32 rounding: the resumed run batches the 5 missing
    posts, the clean one all 8, and on a GPU the text encoder's sums then round differently
    (token features moved by up to 2e-6 on an H100; images were bit-identical)."""
    return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)


def _close(a, b) -> bool:
    if not isinstance(a, torch.Tensor):
        return a == b
    if a.is_floating_point():
        return a.shape == b.shape and torch.allclose(a, b, rtol=1e-5, atol=1e-5)
    return torch.equal(a, b)


def test_feature_extraction_killed_mid_write_leaves_a_usable_cache(tmp_path):
    from amm_core.data.demo_mgid import write_mgid_demo

    write_mgid_demo(tmp_path / "csv", tmp_path / "images", seed=9, n_posts=8)
    homes = {k: tmp_path / k for k in ("crashed", "clean")}
    for home in homes.values():
        amm_json("import", "mgid", "--csv-dir", str(tmp_path / "csv"), "--images",
                 str(tmp_path / "images"), "--name", "m", "--home", str(home))
    crashed, marker = homes["crashed"], tmp_path / "paused"
    before = table_counts(sqlite_url(crashed))
    proc = start_amm(crashed, "features", "--dataset", "m", pause_at="cache-write:4",
                     marker=marker)
    wait_for(marker.exists, proc)  # three entries stored, the fourth written to a temp file
    kill(proc)
    assert len(_cache_entries(crashed)) == 3  # the half-done write is not an entry
    orphans = list((crashed / "cache").rglob("*.tmp"))
    assert orphans  # ... only a temp file, ignored
    assert table_counts(sqlite_url(crashed)) == before and integrity(crashed) == "ok"
    for orphan in orphans:  # an hour later, the next `amm features` removes what is left over
        os.utime(orphan, (time.time() - 7200, time.time() - 7200))
    for home in homes.values():
        result = amm_json("features", "--dataset", "m", "--home", str(home))
        assert result["samples"] == 8
        assert result["cache_orphans_removed"] == (len(orphans) if home == crashed else 0)
    assert not list((crashed / "cache").rglob("*.tmp"))
    resumed, clean = _cache_entries(crashed), _cache_entries(homes["clean"])
    assert resumed.keys() == clean.keys() and len(clean) > 3
    assert all(_same(resumed[key], clean[key]) for key in clean)  # identical features
