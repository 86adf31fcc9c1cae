"""Which process runs a training run, in a form that tells it from a later process that the
operating system gives the same pid (light: the dashboard imports it without torch)."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any


def process_info() -> dict[str, Any]:
    """pid, host and start time of this process (stored in the run's config while it runs)."""
    pid = os.getpid()
    return {"pid": pid, "host": socket.gethostname(), "start": process_start(pid)}


def process_start(pid: int) -> int | None:
    """When the process started (clock ticks since boot, /proc/<pid>/stat field 22), or None
    where there is no /proc or no such process."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[19])  # the fields after "(comm)" start at field 3
    except (OSError, IndexError, ValueError):
        return None


def process_alive(pid: int | None, host: str | None, start: int | None = None) -> bool:
    """Is the training process still there? Unknown (another host, no pid) counts as alive;
    a process with the same pid but another start time is a later one (the pid was reused)."""
    if not pid or (host and host != socket.gethostname()):
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    if start is not None and process_start(pid) not in (None, start):
        return False
    try:  # a zombie (ended, not yet reaped by its parent) is not running either
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True
