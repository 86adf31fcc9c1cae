"""`amm annotate import | export | agreement | adjudicate`: the annotation workflow from the shell.

Label changes are attributable: every write names its annotator and leaves an event.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from amm_core.cli.arguments import non_negative_int, positive_int
from amm_core.cli.output import CommandError, Output
from amm_core.cli.storage import Workspace, open_workspace
from amm_core.workspace import Settings
from db import admin, crud
from db import annotations as db_annotations
from db import runs as db_runs


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    annotate = commands.add_parser("annotate", help="annotation: import, export, agreement")
    actions = annotate.add_subparsers(dest="action", metavar="ACTION", required=True)

    imp = actions.add_parser("import", parents=[common], help="read labels from a file")
    imp.add_argument("file", type=Path)
    imp.add_argument("--dataset", required=True)
    imp.add_argument("--partial", action="store_true", help="import the valid rows despite errors")
    imp.set_defaults(handler=run_import)

    exp = actions.add_parser("export", parents=[common], help="every sample with current labels")
    exp.add_argument("--dataset", required=True)
    exp.add_argument("--format", required=True, choices=("csv", "jsonl", "label-studio"))
    exp.add_argument("--out", type=Path, help="file to write (default: stdout)")
    exp.set_defaults(handler=run_export)

    agr = actions.add_parser("agreement", parents=[common], help="inter-annotator agreement")
    agr.add_argument("--dataset", required=True)
    agr.add_argument("--bootstrap", type=non_negative_int, default=1000)
    agr.set_defaults(handler=run_agreement)

    adj = actions.add_parser("adjudicate", parents=[common], help="gold labels")
    adj.add_argument("--dataset", required=True)
    adj.add_argument("--min-votes", type=positive_int, default=2)
    adj.add_argument("--sample", help="external id to adjudicate by hand (with --label)")
    adj.add_argument("--label")
    adj.add_argument("--adjudicator", help="who decides (with --sample)")
    adj.set_defaults(handler=run_adjudicate)


def _dataset(workspace: Workspace, name: str):
    with workspace.sessions() as session:
        dataset = crud.get_dataset(session, name)
        if dataset is None:
            raise CommandError(f"unknown dataset '{name}'")
        samples = db_runs.dataset_samples(session, dataset.id)
        labels = db_annotations.dataset_labels(session, dataset.id)
        emotion = list((dataset.label_sets or {}).get("emotion", []))
        return dataset, samples, labels, emotion


def run_agreement(args: argparse.Namespace, out: Output) -> dict[str, Any]:
    from annotations.agreement import agreement_report

    workspace = open_workspace(Settings.resolve(args.home))
    dataset, _, _, label_set = _dataset(workspace, args.dataset)
    with workspace.sessions() as session:
        ratings = db_annotations.dataset_ratings(session, dataset.id)
    return agreement_report(ratings, labels=label_set or None, bootstrap=args.bootstrap)


def run_export(args: argparse.Namespace, out: Output) -> dict[str, Any] | None:
    from annotations.interop import ExportRow, export_annotations

    workspace = open_workspace(Settings.resolve(args.home))
    dataset, samples, labels, _ = _dataset(workspace, args.dataset)
    with workspace.sessions() as session:
        times = db_annotations.label_times(session, dataset.id)
    by_sample: dict[int, list[tuple[str, str, str | None]]] = {}
    for sid, name, label, note in labels:
        by_sample.setdefault(sid, []).append((name, label, note))
    rows = []
    for sample in samples:
        given = by_sample.get(sample.id) or [(None, None, None)]
        rows += [ExportRow(sample.external_id, sample.text, name, label, note,
                           _iso(times.get((sample.id, name))))
                 for name, label, note in given]
    text = export_annotations(rows, args.format)
    summary = {"dataset": args.dataset, "format": args.format, "rows": len(rows),
               "labelled": len(labels)}
    if args.out is None:
        if out.json_mode:  # one JSON object on stdout, the export inside it
            return {**summary, "content": text}
        print(text, end="" if text.endswith("\n") else "\n")
        return None
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    return {**summary, "out": str(args.out)}


def _iso(at) -> str | None:  # noqa: ANN001 - a datetime or None
    return at.isoformat(timespec="seconds") if at is not None else None


def run_import(args: argparse.Namespace, out: Output) -> dict[str, Any]:
    from annotations.interop import parse_annotations

    workspace = open_workspace(Settings.resolve(args.home))
    dataset, samples, _, label_set = _dataset(workspace, args.dataset)
    ids = {s.external_id: s.id for s in samples}
    try:
        parsed = parse_annotations(args.file, label_set=label_set, known_ids=set(ids))
    except ValueError as exc:
        raise CommandError(str(exc)) from exc
    for error in parsed.errors:
        out.progress(f"{args.file.name} line {error.line}: {error.message}")
    if parsed.errors and not args.partial:
        first = parsed.errors[0]
        raise CommandError(f"{args.file}: {len(parsed.errors)} row(s) rejected, nothing imported "
                           f"(first: line {first.line}: {first.message}; --partial imports the "
                           f"{len(parsed.rows)} valid rows)")
    _check_registered(workspace, {row.annotator for row in parsed.rows})

    def write() -> tuple[int, int]:
        changed = notes = 0
        with workspace.sessions() as session, session.begin():
            before = {(sid, name): (label, note) for sid, name, label, note
                      in db_annotations.dataset_labels(session, dataset.id)}
            for row in parsed.rows:
                annotator = db_annotations.get_or_create_annotator(session, row.annotator)
                old = db_annotations.set_label(session, ids[row.sample_id], annotator, row.label,
                                               row.note)
                changed += old != row.label
                was = before.get((ids[row.sample_id], annotator.name))
                notes += (old == row.label and row.note is not None and was is not None
                          and was[1] != row.note)
        return changed, notes

    changed, notes = db_annotations.retry_conflicts(write)
    return {"dataset": args.dataset, "file": str(args.file), "rows": len(parsed.rows),
            "changed": changed, "notes_changed": notes, "rejected": len(parsed.errors)}


def _check_registered(workspace: Workspace, names: set[str]) -> None:
    """Once an admin exists, labels come only from people an admin has registered."""
    with workspace.sessions() as session:
        if not admin.admin_exists(session):
            return
        unknown = sorted(n for n in names if admin.find_person(session, n) is None)
    if unknown:
        raise CommandError(f"annotator(s) not registered: {', '.join(unknown[:5])}; nothing "
                           "imported (an admin adds people: amm admin grant NAME --role "
                           "annotator --actor ADMIN)")


def run_adjudicate(args: argparse.Namespace, out: Output) -> dict[str, Any]:
    from annotations.workflow import gold_label

    workspace = open_workspace(Settings.resolve(args.home))
    _, samples, labels, label_set = _dataset(workspace, args.dataset)
    if args.sample is not None:
        return _adjudicate_one(workspace, samples, label_set, args)
    votes: dict[int, dict[str, str]] = {}
    for sid, name, label, _ in labels:
        votes.setdefault(sid, {})[name] = label
    counts = {"gold_majority": 0, "adjudicated": 0, "cleared": 0}
    with workspace.sessions() as session, session.begin():
        sources = db_runs.gold_sources(session, {s.id for s in samples})
        for sid in sorted(set(votes) | set(sources)):
            if sources.get(sid) == "adjudicated":  # an adjudicator's decision always wins
                counts["adjudicated"] += 1
                continue
            gold = gold_label(votes.get(sid, {}), min_votes=args.min_votes)
            if gold is not None:
                db_annotations.set_gold(session, sid, gold[0], "majority", gold[2])
                counts["gold_majority"] += 1
            elif sid in sources:  # the votes changed: no majority any more
                db_annotations.clear_gold(session, sid, f"no majority of {args.min_votes} "
                                                        "votes any more")
                counts["cleared"] += 1
    decided = counts["gold_majority"] + counts["adjudicated"]
    return {"dataset": args.dataset, "items": len(votes), **counts,
            "undecided": len(set(votes) | set(sources)) - decided, "min_votes": args.min_votes}


def _adjudicate_one(workspace, samples, label_set, args) -> dict[str, Any]:
    if not args.label or not args.adjudicator:
        raise CommandError("--sample needs --label and --adjudicator")
    from annotations.interop import annotator_name_problem

    problem = annotator_name_problem(args.adjudicator)
    if problem:  # the dashboard's check too: blank, over-long, multi-line or reserved
        raise CommandError(f"--adjudicator: {problem}")
    if label_set and args.label not in label_set:
        raise CommandError(f"label '{args.label}' is not one of {', '.join(label_set)}")
    sample = next((s for s in samples if s.external_id == args.sample), None)
    if sample is None:
        raise CommandError(f"unknown sample '{args.sample}' in dataset '{args.dataset}'")
    try:
        with workspace.sessions() as session, session.begin():
            judge = admin.adjudicator(session, args.adjudicator)  # needs the role
            db_annotations.set_gold(session, sample.id, args.label, "adjudicated",
                                    {"adjudicator": judge.name}, decided_by=judge)
    except admin.PermissionDenied as exc:
        raise CommandError(str(exc)) from exc
    return {"dataset": args.dataset, "sample": args.sample, "gold": args.label,
            "source": "adjudicated"}
