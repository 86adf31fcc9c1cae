"""Argument parsing that keeps the `amm` promise: a usage error is one line on stderr
("amm: error: amm train: argument --task: invalid choice ..."), exit 2, like every other error;
and the numeric values that no command can use are refused while parsing."""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn

MAX_SEED = 2**31 - 1  # the run row's seed column is a 32-bit signed integer on PostgreSQL


class OneLineParser(argparse.ArgumentParser):
    """`error` prints one line and points at --help instead of printing the whole usage."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"amm: error: {self.prog}: {message} (see {self.prog} --help)\n")
        raise SystemExit(2)


def positive_int(text: str) -> int:
    """An integer of at least 1 (epochs, workers)."""
    value = _integer(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def non_negative_int(text: str) -> int:
    """An integer of at least 0 (retries, bootstrap resamples where 0 means none)."""
    value = _integer(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {value}")
    return value


def positive_float(text: str) -> float:
    """A number above 0 (a timeout in seconds)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a finite number above 0, not {text}")
    return value


def seed(text: str) -> int:
    """A random seed: 0 to 2**31 - 1 (numpy takes up to 2**32 - 1, but the seed is stored in an
    INTEGER column, which PostgreSQL keeps in 32 signed bits: a larger one failed there after
    the features were computed)."""
    value = _integer(text)
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"a seed is 0 to {MAX_SEED}, not {value}")
    return value


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
