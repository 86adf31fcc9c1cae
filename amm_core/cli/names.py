"""Names people give to datasets and runs: short, printable, and never a path (a run's name
becomes its folder under `runs/`, so `../x` or `a/b` would write outside the workspace)."""

from __future__ import annotations

import re

from amm_core.cli.output import CommandError

MAX_NAME = 200  # the datasets.name and model_runs.name columns
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._+:@()=,-]*")


def check_name(kind: str, name: str) -> str:
    """`name` unchanged when usable; CommandError (one line) naming what is wrong otherwise."""
    shown = name if len(name) <= 40 else name[:40] + "…"
    if len(name) > MAX_NAME:
        raise CommandError(f"{kind} name '{shown}' is {len(name)} characters long "
                           f"(at most {MAX_NAME})")
    if not _NAME.fullmatch(name) or ".." in name:
        raise CommandError(f"{kind} name {shown!r} is not allowed: use letters, digits, spaces "
                           "and . _ - + : @ ( ) = , (no slashes, no '..', not starting with a "
                           "dot)")
    return name
