"""Data commands: `amm import mgid|daic`, `amm download-mgid-images`, `amm demo`."""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event

from amm_core.cli.arguments import non_negative_int, positive_float
from amm_core.cli.names import check_name
from amm_core.cli.output import CommandError, Output
from amm_core.cli.storage import open_workspace, store_import
from amm_core.data.pause_points import PAUSE_ENV, pause_point
from amm_core.data.records import ImportFailure
from amm_core.workspace import Settings


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    imp = commands.add_parser("import", help="import a corpus into the workspace")
    kinds = imp.add_subparsers(dest="corpus", metavar="CORPUS", required=True)

    mgid = kinds.add_parser("mgid", parents=[common], help="MGID CSV files (+ images)")
    mgid.add_argument("--csv-dir", required=True, type=Path, help="folder with train/, dev/, test/")
    mgid.add_argument("--images", type=Path, help="folder of downloaded images")
    mgid.add_argument("--image-naming", choices=("asset-id", "split-index"), default="asset-id")
    mgid.add_argument("--name", default="mgid", help="dataset name (default: mgid)")
    mgid.set_defaults(handler=run_import_mgid)

    daic = kinds.add_parser("daic", parents=[common], help="DAIC-WOZ or E-DAIC sessions")
    daic.add_argument("--root", required=True, type=Path, help="folder of XXX_P folders or zips")
    daic.add_argument("--labels", type=Path, help="folder of the label CSVs (default: --root)")
    daic.add_argument("--name", default="daic", help="dataset name (default: daic)")
    daic.set_defaults(handler=run_import_daic)

    dl = commands.add_parser(
        "download-mgid-images", parents=[common], help="download MGID images by asset id"
    )
    dl.add_argument("--csv-dir", required=True, type=Path)
    dl.add_argument("--out", required=True, type=Path)
    dl.add_argument("--workers", type=int, default=4)
    dl.add_argument("--retries", type=non_negative_int, default=3)
    dl.add_argument("--timeout", type=positive_float, default=20.0, help="seconds per request")
    dl.set_defaults(handler=run_download)

    demo = commands.add_parser("demo", parents=[common], help="build the synthetic demo workspace")
    demo.add_argument("--force", action="store_true", help="regenerate even if present")
    demo.set_defaults(handler=run_demo)


def _timed_import(args: argparse.Namespace, out: Output, read, name: str) -> dict[str, Any]:
    settings = Settings.resolve(args.home)
    check_name("dataset", name)
    started = time.perf_counter()
    try:
        result = read()
    except ImportFailure as exc:
        raise CommandError(str(exc)) from exc
    out.progress(f"read {len(result.samples)} samples in {time.perf_counter() - started:.1f} s")
    if not result.samples:  # an empty dataset is never what was meant: write nothing
        skipped = {k: v for k, v in (result.summary.get("skipped") or {}).items() if v}
        why = f" (skipped rows: {', '.join(f'{k} {v}' for k, v in skipped.items())})"
        raise CommandError(f"{result.source}: no samples found, nothing imported"
                           + (why if skipped else ""))
    workspace = open_workspace(settings)
    if os.environ.get(PAUSE_ENV):  # crash tests: hold the import with all rows written, uncommitted
        event.listen(workspace.sessions, "before_commit", lambda _: pause_point("import-commit"))
    try:
        summary = store_import(workspace, result, name)
    except ValueError as exc:
        raise CommandError(str(exc)) from exc
    summary["seconds"] = round(time.perf_counter() - started, 2)
    return summary


def run_import_mgid(args: argparse.Namespace, out: Output) -> dict[str, Any]:
    from amm_core.data.mgid import read_mgid

    def read():
        return read_mgid(args.csv_dir, images_dir=args.images, image_naming=args.image_naming)

    return _timed_import(args, out, read, args.name)


def run_import_daic(args: argparse.Namespace, out: Output) -> dict[str, Any]:
    from amm_core.data.daic import read_daic

    return _timed_import(args, out, lambda: read_daic(args.root, labels_dir=args.labels), args.name)


def run_download(args: argparse.Namespace, out: Output) -> dict[str, Any]:
    from amm_core.data.mgid_download import download_mgid_images

    if args.workers < 1 or args.workers > 32:
        raise CommandError(f"--workers must be between 1 and 32, not {args.workers}")
    try:
        result = download_mgid_images(
            args.csv_dir,
            args.out,
            workers=args.workers,
            retries=args.retries,
            timeout=args.timeout,
            progress=out.progress,
        )
    except ImportFailure as exc:
        raise CommandError(str(exc)) from exc
    if result["failed"] and not result["downloaded"] and not result["already_present"]:
        # Nothing to show for it (no network, a blocked host): a failure, not a success. Some
        # failures among downloads are normal (Getty removes pictures): exit 0 with the count.
        raise CommandError(f"none of the {result['failed']} image(s) could be downloaded (see "
                           f"{result['manifest']} for each reason)")
    return result


def run_demo(args: argparse.Namespace, out: Output) -> dict[str, Any]:
    from amm_core.cli.demo_bootstrap import bootstrap_demo

    workspace = open_workspace(Settings.resolve(args.home))
    return bootstrap_demo(workspace, force=args.force, progress=lambda f, m: out.progress(m))
