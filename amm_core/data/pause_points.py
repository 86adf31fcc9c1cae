"""A test hook for crash-safety tests: hold the process at a named stage so a test can kill it
there deterministically. Inert unless $AMM_TEST_PAUSE_AT names the stage ("stage" or "stage:N"
for the N-th time the stage is reached); the held process first writes its pid to
$AMM_TEST_PAUSE_MARKER so the test knows it has arrived."""

from __future__ import annotations

import os
import time
from collections import Counter
from pathlib import Path

PAUSE_ENV = "AMM_TEST_PAUSE_AT"
MARKER_ENV = "AMM_TEST_PAUSE_MARKER"
_reached: Counter[str] = Counter()


def pause_point(stage: str) -> None:
    wanted = os.environ.get(PAUSE_ENV)
    if not wanted or wanted.split(":")[0] != stage:
        return
    _reached[stage] += 1
    nth = int(wanted.split(":")[1]) if ":" in wanted else 1
    if _reached[stage] != nth:
        return
    marker = os.environ.get(MARKER_ENV)
    if marker:
        Path(marker).write_text(str(os.getpid()))
    time.sleep(3600)  # until the test kills us
