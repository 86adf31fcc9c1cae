"""How commands talk to people and scripts: one JSON object on stdout, progress on stderr."""

from __future__ import annotations

import json
import sys
from typing import Any


class CommandError(Exception):
    """A user-facing failure: the message is one line naming the problem."""


def one_line(message: str) -> str:
    return " ".join(str(message).split())


class Output:
    """`quiet`: a torchrun process other than 0, which prints only its errors (marked with its
    rank): progress and the result are process 0's to print."""

    def __init__(self, json_mode: bool, quiet: bool = False, rank: int = 0) -> None:
        self.json_mode = json_mode
        self.quiet = quiet
        self.rank = rank

    def progress(self, message: str) -> None:
        if not self.quiet:
            print(message, file=sys.stderr, flush=True)

    def emit(self, result: dict[str, Any] | None) -> None:
        if result is None or self.quiet:
            return
        if self.json_mode:
            print(json.dumps(result, default=str))
        else:
            print(format_human(result))

    def fail(self, message: str, code: int = 2) -> int:
        where = f"[process {self.rank}] " if self.rank else ""
        print(f"amm: error: {where}{one_line(message)}", file=sys.stderr)
        return code


def format_human(result: dict[str, Any], indent: int = 0) -> str:
    lines = []
    pad = "  " * indent
    for key, value in result.items():
        if isinstance(value, dict) and value:
            lines.append(f"{pad}{key}:")
            lines.append(format_human(value, indent + 1))
        elif isinstance(value, list) and len(value) > 8:
            lines.append(f"{pad}{key}: {value[:8]} ... ({len(value)} in all)")
        else:
            lines.append(f"{pad}{key}: {value}")
    return "\n".join(lines)
