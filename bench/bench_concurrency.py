"""Label-writing throughput with 1 vs N annotator processes on one database (printed, not
asserted). Each process is one annotator labelling its share of the samples one transaction per
label, exactly as the Annotation page does (get-or-create annotator, set_label, event).

    python bench/bench_concurrency.py [--processes 4] [--labels 200] [--url postgresql+psycopg://...]

Without --url the database is a fresh SQLite file (WAL) in a temporary folder. A PostgreSQL URL
must point at a throw-away database: the bench drops and recreates its `public` schema.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from sqlalchemy import func, select, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # db/ is a top-level folder of the checkout

from db import crud  # noqa: E402
from db.engine import make_engine, open_database  # noqa: E402
from db.models import Annotation, AnnotationEvent  # noqa: E402

WORKER = """
import json, sys, time
from db import annotations as store
from db.engine import open_database
url, who, ids = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
_, sessions = open_database(url)
start = time.time()
for sid in ids:
    def work(sid=sid):
        with sessions() as session, session.begin():
            store.set_label(session, sid, store.get_or_create_annotator(session, who), "sad")
    store.retry_conflicts(work)
print(json.dumps([start, time.time()]))
"""


def fresh_database(url: str | None, folder: Path, n_samples: int) -> tuple[str, list[int]]:
    url = url or f"sqlite:///{folder / 'bench.db'}"
    if not url.startswith("sqlite"):
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        engine.dispose()
    _, sessions = open_database(url)
    with sessions() as session, session.begin():
        dataset = crud.upsert_dataset(session, "bench", kind="daic", source_path=None,
                                      label_sets={"emotion": ["non-sad", "sad"]}, summary={})
        crud.upsert_samples(session, dataset, [{"external_id": f"s{i}", "split": "train",
                                                "text": f"utterance {i}"}
                                               for i in range(n_samples)])
        ids = [s.id for s in dataset.samples]
    return url, ids


def run(url: str, ids: list[int], processes: int, tag: str) -> float:
    """Labels per second: all labels / (last process end - first process start)."""
    share = [ids[k::processes] for k in range(processes)]
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, url, f"{tag}-{k}",
                               json.dumps(part)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
             for k, part in enumerate(share)]
    spans = [json.loads(p.communicate(timeout=600)[0]) for p in procs]
    seconds = max(end for _, end in spans) - min(start for start, _ in spans)
    return len(ids) / seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--labels", type=int, default=200, help="labels per measurement")
    parser.add_argument("--url", help="database URL (default: a temporary SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url, ids = fresh_database(args.url, Path(tmp), args.labels)
        backend = url.split(":", 1)[0]
        print(f"{backend}: {args.labels} labels, one transaction each (page path)")
        one = run(url, ids, 1, "solo")
        print(f"{'1 process':<28} {one:8.1f} labels/s")
        many = run(url, ids, args.processes, "team")
        print(f"{f'{args.processes} processes at once':<28} {many:8.1f} labels/s "
              f"({many / one:.2f}x)")
        _, sessions = open_database(url)
        with sessions() as session:
            labels = session.scalar(select(func.count(Annotation.id)))
            events = session.scalar(select(func.count(AnnotationEvent.id)))
        print(f"{'stored labels / events':<28} {labels} / {events} "
              f"(expected {2 * args.labels} / {2 * args.labels})")


if __name__ == "__main__":
    main()
