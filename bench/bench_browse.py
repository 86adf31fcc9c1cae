"""MGID browser render time on an MGID-size dataset (printed, not asserted; target <= 1 s).

    python bench/bench_browse.py [--posts 5000] [--repeat 5]

Builds, in a temporary workspace, a 5,000-post corpus in MGID's format with the demo generator
(drawn images included), imports it, adds a fake completed run with predictions for every post and
both tasks, then times:
- the services one render calls (count + page query, thumbnails, and the detail view), with the
  thumbnails cold (first visit of a page) and warm, with and without filters;
- the Data audit's computation (every finding and the rows behind it);
- the whole page script through Streamlit's AppTest (server side: widgets, queries, thumbnails,
  figures), cold and warm, for a set of filter changes a user would make.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from amm_core.cli.storage import Workspace, open_workspace, store_import  # noqa: E402
from amm_core.data.demo_mgid import write_mgid_demo  # noqa: E402
from amm_core.data.mgid import read_mgid  # noqa: E402
from amm_core.workspace import Settings  # noqa: E402
from app import browse_services as svc  # noqa: E402
from app.audit_services import dataset_audit  # noqa: E402
from db import crud  # noqa: E402
from db import runs as db_runs  # noqa: E402

DATASET, RUN = "mgid-bench", "bench-run"
PAGE = str(ROOT / "app" / "pages" / "browse.py")


def timed(label: str, fn: Callable[[], object], repeat: int = 1) -> object:
    times, value = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - started)
    shown = f"{times[0]:7.3f} s" if repeat == 1 else (
        f"{statistics.median(times):7.3f} s median, max {max(times):.3f} s of {repeat}")
    print(f"  {label:<58} {shown}")
    return value


def build(root: Path, posts: int) -> Workspace:
    timed(f"generate MGID corpus ({posts} posts + images)",
          lambda: write_mgid_demo(root / "csv", root / "img", 7, posts))
    workspace = open_workspace(Settings.resolve(root / "home"))
    result = read_mgid(root / "csv", root / "img")
    timed("import", lambda: store_import(workspace, result, DATASET))
    timed("fake run: predictions for every post, both tasks", lambda: _fake_run(workspace))
    return workspace


def _fake_run(workspace: Workspace) -> None:
    rng = np.random.default_rng(0)
    with workspace.sessions() as session, session.begin():
        dataset = crud.get_dataset(session, DATASET)
        run = db_runs.create_run(session, RUN, dataset_id=dataset.id)
        rows = []
        for sample in db_runs.dataset_samples(session, dataset.id):
            for task, names in dataset.label_sets.items():
                probs = rng.dirichlet(np.ones(len(names)))
                rows.append({"sample_id": sample.id, "task": task,
                             "label": names[int(probs.argmax())],
                             "probabilities": {n: round(float(p), 6)
                                               for n, p in zip(names, probs, strict=True)}})
        db_runs.write_predictions(session, run.id, rows)
        db_runs.update_run(session, run.id, status="completed", progress=1.0)


def bench_services(workspace: Workspace, repeat: int) -> None:
    print("services (what one render calls):")
    plain = svc.BrowseRequest(DATASET)
    timed("page 1, no filter, thumbnails cold", lambda: svc.browse_page(workspace, plain))
    timed("page 1, no filter, warm", lambda: svc.browse_page(workspace, plain), repeat)
    last = svc.BrowseRequest(DATASET, page=10_000)
    timed("last page, thumbnails cold", lambda: svc.browse_page(workspace, last))
    filtered = svc.BrowseRequest(DATASET, split="test", depression="depressed", run=RUN,
                                 outcome="wrong", confidence=(0.3, 0.9),
                                 order="confidence-asc")
    timed("split+label+run wrong+confidence, sorted, cold",
          lambda: svc.browse_page(workspace, filtered))
    timed("split+label+run wrong+confidence, sorted, warm",
          lambda: svc.browse_page(workspace, filtered), repeat)
    search = svc.BrowseRequest(DATASET, search="woman", has_image=True, page=3)
    timed("text search 'woman' + has image, page 3, cold",
          lambda: svc.browse_page(workspace, search))
    result = svc.browse_page(workspace, plain)
    timed("detail (image, HSV histogram, probabilities)",
          lambda: svc.sample_detail(workspace, result.cards[5].sample_id, RUN), repeat)
    timed("data audit: every finding with its rows (Data audit page)",
          lambda: dataset_audit(workspace, DATASET), repeat)


# The page runs inside this wrapper, which records how long the script itself took (AppTest's
# own polling and element-tree parsing are not server time).
WRAPPER = """
import runpy, sys, time
_started = time.perf_counter()
try:
    runpy.run_path({page!r}, run_name="__page__")
finally:
    sys.modules["bench_browse_clock"].times.append(time.perf_counter() - _started)
"""


def bench_page(repeat: int) -> None:
    import types

    from streamlit.testing.v1 import AppTest

    clock = types.ModuleType("bench_browse_clock")
    clock.times = []  # type: ignore[attr-defined]
    sys.modules[clock.__name__] = clock
    at = AppTest.from_string(WRAPPER.format(page=PAGE), default_timeout=120)

    def render(label: str, action: Callable[[], object], runs: int = 1) -> None:
        clock.times.clear()
        for _ in range(runs):
            action()
            if at.exception:
                raise SystemExit(f"the page failed: {at.exception[0].value}")
        times = clock.times
        shown = f"{times[0]:7.3f} s" if runs == 1 else (
            f"{statistics.median(times):7.3f} s median, max {max(times):.3f} s of {runs}")
        print(f"  {label:<58} {shown}")

    print("whole page script (server time of one render, run through AppTest):")
    steps: list[tuple[str, Callable[[], object]]] = [
        ("first render (opens the workspace, page 1)", at.run),
        ("next page (thumbnails cold)", lambda: at.button(key="browse_next").click().run()),
        ("choose the run", lambda: at.selectbox(key="browse_run").set_value(RUN).run()),
        ("only wrong predictions", lambda: at.selectbox(key="browse_outcome")
         .set_value("wrong").run()),
        ("split test (thumbnails cold)",
         lambda: at.selectbox(key="browse_split").set_value("test").run()),
        ("confidence 0.4-0.8", lambda: at.slider(key="browse_confidence")
         .set_range(0.4, 0.8).run()),
        ("text search 'sad'", lambda: at.text_input(key="browse_search").set_value("sad").run()),
        ("open a card (detail + HSV + probabilities)", lambda: at.button(
            key=next(b.key for b in at.button if b.key and b.key.startswith("browse_open_")))
         .click().run()),
    ]
    for label, step in steps:
        render(label, step)
    render("rerun with all of the above set (warm)", at.run, repeat)

    def clear_filters() -> None:
        at.selectbox(key="browse_run").set_value("(no run)")
        at.selectbox(key="browse_split").set_value("(any)")
        at.text_input(key="browse_search").set_value("").run()

    render("clear run, split and search: page 1 of all posts (warm)", clear_filters)
    started = time.perf_counter()
    at.run()
    print(f"  {'(for scale: one AppTest round trip, wall time)':<58} "
          f"{time.perf_counter() - started:7.3f} s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        print("setup:")
        workspace = build(root, args.posts)
        bench_services(workspace, args.repeat)
        os.environ["AMM_HOME"] = str(root / "home")
        os.environ.pop("AMM_DATABASE_URL", None)
        bench_page(args.repeat)


if __name__ == "__main__":
    main()
