"""The `amm` command: parses arguments, builds settings once, dispatches to a command module.

This package is the one place that wires amm_core to the database (see ARCHITECTURE.md).
Every command takes `--home DIR` and `--json`, before or after the command's name (after wins);
errors exit non-zero with one line, no traceback. When whoever reads stdout stops early (`| head`),
the command ends quietly with 141, the shell's code for a closed pipe.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from amm_core.cli import (
    commands_admin,
    commands_annotate,
    commands_data,
    commands_experiment,
    commands_explain,
    commands_model,
    commands_report,
)
from amm_core.cli.arguments import OneLineParser
from amm_core.cli.output import CommandError, Output
from amm_core.cli.storage import SchemaMismatch, WorkspaceError
from amm_core.distributed import Parallel

COMMAND_MODULES = (commands_data, commands_model, commands_experiment, commands_annotate,
                   commands_report, commands_explain, commands_admin)


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="amm", description="AMM Studio: multimodal depression and emotion analysis."
    )
    common = OneLineParser(add_help=False)
    for target, default in ((parser, None), (common, argparse.SUPPRESS)):
        # on the command too, where a given value overrides the top level's (`amm --home A
        # train --home B` uses B); SUPPRESS keeps an absent one from resetting it
        target.add_argument("--home", default=default,
                            help="workspace folder (default: $AMM_HOME or ./amm_workspace)")
        target.add_argument("--json", action="store_true",
                            default=False if default is None else default,
                            help="print one JSON object on stdout")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMAND_MODULES:
        module.register(commands, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    out = Output(json_mode=args.json)
    try:
        args.parallel = Parallel.from_env()
    except ValueError as exc:
        return out.fail(f"torchrun's environment: {exc}")
    if args.parallel.active:
        out = Output(json_mode=args.json, quiet=not args.parallel.main, rank=args.parallel.rank)
        if args.command != "train":
            return out.fail(f"only `amm train` runs under torchrun (WORLD_SIZE="
                            f"{args.parallel.world}); run `amm {args.command}` as one process")
    try:
        result = args.handler(args, out)
    except (CommandError, SchemaMismatch, WorkspaceError) as exc:
        return out.fail(str(exc))
    except KeyboardInterrupt:
        return out.fail("interrupted", code=130)
    except Exception as exc:  # last resort: one line for people, the traceback only on request
        if os.environ.get("AMM_DEBUG"):
            raise
        return out.fail(f"{type(exc).__name__}: {exc}")
    try:
        out.emit(result)
        sys.stdout.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no error at exit
        return 141
    return 0


if __name__ == "__main__":
    sys.exit(main())
