"""Import and first-launch timings on corpora of the real corpora's size (printed, not asserted).

    python bench/bench_import.py [--posts 5000] [--sessions 189]

Generates MGID-size and DAIC-size corpora in the real formats with the demo generator, then times:
reading, storing (first import), re-importing (idempotent upsert), and `amm demo` on a fresh
workspace (the dashboard's first launch minus the browser).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from amm_core.cli.demo_bootstrap import bootstrap_demo
from amm_core.cli.storage import open_workspace, store_import
from amm_core.data.daic import read_daic
from amm_core.data.demo_daic import write_daic_demo
from amm_core.data.demo_mgid import write_mgid_demo
from amm_core.data.mgid import read_mgid
from amm_core.workspace import Settings


def timed(label: str, fn):
    started = time.perf_counter()
    value = fn()
    print(f"{label:<44} {time.perf_counter() - started:8.2f} s")
    return value


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=5000)
    parser.add_argument("--sessions", type=int, default=189)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        timed(f"generate MGID ({args.posts} posts + images)",
              lambda: write_mgid_demo(root / "mgid", root / "img", 7, args.posts))
        timed(f"generate DAIC ({args.sessions} sessions)",
              lambda: write_daic_demo(root / "daic", 7, args.sessions))
        workspace = open_workspace(Settings.resolve(root / "home"))
        mgid = timed("read MGID", lambda: read_mgid(root / "mgid", images_dir=root / "img"))
        timed(f"store MGID ({len(mgid.samples)} samples, first import)",
              lambda: store_import(workspace, mgid, "mgid"))
        timed("re-import MGID (nothing changed)", lambda: store_import(workspace, mgid, "mgid"))
        daic = timed("read DAIC", lambda: read_daic(root / "daic"))
        timed(f"store DAIC ({len(daic.samples)} utterances, first import)",
              lambda: store_import(workspace, daic, "daic"))
        timed("re-import DAIC (nothing changed)", lambda: store_import(workspace, daic, "daic"))
        fresh = open_workspace(Settings.resolve(root / "fresh"))
        timed("first launch: amm demo on an empty workspace", lambda: bootstrap_demo(fresh))


if __name__ == "__main__":
    main()
