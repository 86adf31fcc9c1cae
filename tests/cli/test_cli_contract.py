"""The command line's shared contract: `--home` / `--json` before or after the command's name,
and a reader that stops early (`amm ... --json | head`) ends the command quietly."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from amm_core.cli import main


def test_home_and_json_before_the_command(tmp_path: Path, capsys) -> None:
    home = tmp_path / "ws"
    assert main(["--home", str(home), "--json", "admin", "log"]) == 0
    assert json.loads(capsys.readouterr().out) == {"events": []}
    assert (home / "amm.db").is_file()


def test_the_commands_own_flags_win(tmp_path: Path, capsys) -> None:
    top, own = tmp_path / "top", tmp_path / "own"
    assert main(["--home", str(top), "admin", "log", "--home", str(own), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"events": []}
    assert (own / "amm.db").is_file() and not top.exists()


def test_a_reader_that_stops_early_gets_no_traceback(tmp_path: Path) -> None:
    exe = shutil.which("amm")
    command = [exe] if exe else [sys.executable, "-m", "amm_core.cli"]
    proc = subprocess.Popen([*command, "admin", "log", "--json", "--home", str(tmp_path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # like `| head -c 0`: the pipe is closed before the JSON is written
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 141
    assert "Traceback" not in err and "BrokenPipeError" not in err


@pytest.mark.parametrize(("args", "names"), [
    (("annotate", "agreement", "--dataset", "d", "--bootstrap", "-5"), "--bootstrap"),
    (("annotate", "adjudicate", "--dataset", "d", "--min-votes", "-1"), "--min-votes"),
    (("annotate", "adjudicate", "--dataset", "d", "--min-votes", "0"), "--min-votes"),
    (("download-mgid-images", "--csv-dir", "x", "--out", "y", "--timeout", "-1"), "--timeout"),
    (("download-mgid-images", "--csv-dir", "x", "--out", "y", "--retries", "-1"), "--retries"),
    (("admin", "log", "--limit", "-1"), "--limit"),
    (("report", "--run", "r", "--out", "o", "--gallery", "-1"), "--gallery"),
])
def test_values_no_command_can_use_are_refused_while_parsing(tmp_path, capsys, args, names):
    with pytest.raises(SystemExit) as exited:
        main([*args, "--home", str(tmp_path / "ws")])
    err = capsys.readouterr().err
    assert exited.value.code == 2 and names in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "ws").exists()  # nothing was opened, let alone written


def test_a_bad_database_url_or_workspace_folder_is_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("AMM_DATABASE_URL", "garbage")
    assert main(["admin", "log", "--home", str(tmp_path / "ws")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "$AMM_DATABASE_URL" in err[0] and "ArgumentError" not in err[0]
    monkeypatch.delenv("AMM_DATABASE_URL")
    (tmp_path / "a-file").write_text("x")
    assert main(["admin", "log", "--home", str(tmp_path / "a-file")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "workspace folder" in err[0] and "FileExistsError" not in err[0]
