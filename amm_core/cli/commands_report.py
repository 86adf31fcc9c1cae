"""`amm report --run A [--compare B] [--split S] [--task T] --out DIR`: a self-contained HTML
error-analysis report (metrics, confusion matrices, calibration, per-slice metrics, DAIC
per-session results, flips (all of them) and McNemar's test against B, top label issues, a
gallery of misclassified cases) plus report.json.

Everything is checked and computed before anything is written; the folder is written under a
temporary name next to DIR and renamed into place, so a failure leaves nothing partial.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
from html import escape
from pathlib import Path
from typing import Any

from amm_core.analysis import session_outcomes
from amm_core.analysis_compare import session_mcnemar
from amm_core.cli import report_html as html
from amm_core.cli.analysis_data import (
    RunCases,
    check_request,
    learned_tasks,
    load_pair,
    load_run_cases,
    run_coverage,
    shared_tasks,
)
from amm_core.cli.analysis_summary import compare_summary, flip_cases, misclassified, run_summary
from amm_core.cli.arguments import non_negative_int
from amm_core.cli.output import CommandError, Output
from amm_core.cli.storage import open_workspace
from amm_core.workspace import Settings

REPORT_FILE = "index.html"
JSON_FILE = "report.json"  # also marks a folder as an earlier report that may be replaced
TASK_CHOICES = ("depression", "emotion")
SPLIT_CHOICES = ("train", "dev", "test", "all")
LABEL_ISSUES_SHOWN = 15


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    report = commands.add_parser("report", parents=[common],
                                 help="write an HTML error-analysis report of a run")
    report.add_argument("--run", required=True)
    report.add_argument("--compare", metavar="RUN2", help="a second run on the same dataset")
    report.add_argument("--split", default="test", choices=SPLIT_CHOICES)
    report.add_argument("--task", choices=TASK_CHOICES, help="default: every task it learned")
    report.add_argument("--out", required=True, type=Path, help="report folder to write")
    report.add_argument("--gallery", type=non_negative_int, default=24,
                        help="misclassified cases shown per task (default 24)")
    report.set_defaults(handler=run_report)


def run_report(args: argparse.Namespace, out: Output) -> dict[str, Any]:
    workspace = open_workspace(Settings.resolve(args.home))
    split = None if args.split == "all" else args.split
    target = _check_target(args.out)
    tasks, dataset = _tasks(workspace, args.run, args.compare, args.task, split)
    result: dict[str, Any] = {"run": args.run, "compare": args.compare, "dataset": dataset,
                              "split": args.split, "tasks": tasks, "metrics": {},
                              "confusion": {}, "calibration": {}, "slices": {}}
    body: list[str] = []
    for task in tasks:
        out.progress(f"analysing {args.run} on {task} ({args.split})")
        body += _task_section(workspace, args, task, split, result)
    head = [f"<h1>Error analysis: {escape(args.run)}</h1>",
            f"<p>Dataset <b>{escape(result['dataset'])}</b>, split <b>{escape(args.split)}</b>"
            + (f", compared with <b>{escape(args.compare)}</b>" if args.compare else "")
            + ". Numbers come from the runs' stored predictions.</p>"]
    document = html.page(f"AMM report: {args.run}", head + body)
    result["out"] = str(target)
    result["report"] = str(target / REPORT_FILE)
    _write_atomically(target, {REPORT_FILE: document,
                               JSON_FILE: json.dumps(result, indent=1, default=str)})
    return result


def _check_target(out_dir: Path) -> Path:
    """The absolute report folder; CommandError when it holds something other than a report."""
    target = out_dir.expanduser().resolve()
    if target.exists():
        reusable = target.is_dir() and (not any(target.iterdir()) or
                                        (target / JSON_FILE).is_file())
        if not reusable:
            raise CommandError(f"{target} already exists and is not an earlier report; "
                               f"choose another --out")
    return target


def _tasks(workspace, run: str, compare: str | None, task: str | None,
           split: str | None) -> tuple[list[str], str]:
    """(tasks to report, dataset name); CommandError for a task or split a run lacks, or for
    runs on different datasets."""
    coverage = run_coverage(workspace, run)
    tasks = [task] if task else learned_tasks(coverage)
    if compare:
        if compare == run:
            raise CommandError(f"compare two different runs (both are '{run}')")
        shared = shared_tasks(workspace, run, compare)
        tasks = [task] if task else shared
        for name in tasks:
            check_request(compare, run_coverage(workspace, compare), name, split)
    for name in tasks:
        check_request(run, coverage, name, split)
    return tasks, coverage[0]["dataset"]


def _task_section(workspace, args: argparse.Namespace, task: str, split: str | None,
                  result: dict[str, Any]) -> list[str]:
    if args.compare:
        cases, other = load_pair(workspace, args.run, args.compare, task, split)
    else:
        cases, other = load_run_cases(workspace, args.run, task, split), None
    summary = run_summary(cases)
    for key in ("metrics", "confusion", "calibration", "slices"):
        result[key][task] = summary[key]
    body = [f"<section><h2>{escape(task)}</h2>", "<h3>Metrics</h3>",
            html.metrics_table(summary["metrics"]), "<h3>Confusion matrix</h3>",
            html.confusion_table(cases.labels, summary["confusion"]["matrix"]),
            "<h3>Calibration</h3>", html.reliability_svg(summary["calibration"]),
            f"<p>Expected calibration error: <b>{html.fmt(summary['calibration']['ece'])}</b> "
            f"({summary['calibration']['n_bins']} equal-width confidence bins).</p>",
            "<h3>Per-slice metrics</h3>", html.slices_table(summary["slices"])]
    body += _sessions_section(cases, summary["metrics"], result)
    if other is not None:
        body += _compare_section(cases, other, result)
    body += _label_issues_section(cases, result)
    wrong = misclassified(cases)
    body += [f"<h3>Misclassified cases ({len(wrong)}, most confident first)</h3>",
             html.gallery(wrong[: max(args.gallery, 0)]), "</section>"]
    return body


def _sessions_section(cases: RunCases, metrics: dict[str, Any],
                      result: dict[str, Any]) -> list[str]:
    """DAIC: the per-session scores `amm evaluate` gives (utterance probabilities averaged per
    session), their confusion matrix and the misclassified sessions; nothing elsewhere."""
    scores, groups = metrics.get("per_session"), cases.groups()
    if not scores or groups is None:
        return []
    rows = session_outcomes(groups, cases.y_true(), cases.probs(), cases.labels)
    result.setdefault("sessions", {})[cases.task] = rows
    wrong = sorted((r for r in rows if not r["correct"]), key=lambda r: -r["confidence"])
    return ["<h3>Per session</h3>",
            "<p class='note'>Each session's prediction is the argmax of its utterances' mean "
            "probabilities; intervals resample sessions.</p>",
            html.metrics_table(scores, unit="labelled sessions"),
            html.confusion_table(cases.labels, scores["confusion"]),
            f"<h4>Misclassified sessions ({len(wrong)} of {len(rows)})</h4>",
            html.sessions_table(wrong)]


def _compare_section(a: RunCases, b: RunCases, result: dict[str, Any]) -> list[str]:
    summary = compare_summary(a, b)
    other = run_summary(b, bootstrap=0)
    groups = a.groups()
    summary["mcnemar"]["unit"] = "row" if groups is None else "utterance"
    if groups is not None:  # DAIC: the row test counts utterances; add the per-session one
        summary["session_mcnemar"] = session_mcnemar(a.y_true(), a.probs(), b.probs(), groups)
    for key in ("flips", "mcnemar", "session_mcnemar", "deltas", "slice_deltas"):
        if key in summary:
            result.setdefault(key, {})[a.task] = summary[key]
    result.setdefault("compare_metrics", {})[a.task] = other["metrics"]
    result.setdefault("compare_confusion", {})[a.task] = other["confusion"]
    pairs = flip_cases(a, b)
    deltas = summary["deltas"]
    tests = ([html.mcnemar_text(summary["mcnemar"], a.run, b.run, "utterances"),
              html.mcnemar_text(summary["session_mcnemar"], a.run, b.run, "sessions")]
             if groups is not None else [html.mcnemar_text(summary["mcnemar"], a.run, b.run)])
    return [f"<h3>Compared with {escape(b.run)}</h3>", *tests,
            f"<p>Accuracy {escape(a.run)} − {escape(b.run)}: "
            f"{html.delta_cell(deltas['accuracy'])}; macro F1: "
            f"{html.delta_cell(deltas['macro_f1'])} (95 % paired bootstrap).</p>",
            f"<h4>Confusion matrix of {escape(b.run)}</h4>",
            html.confusion_table(b.labels, other["confusion"]["matrix"]),
            f"<h4>{escape(a.run)} right, {escape(b.run)} wrong "
            f"({len(pairs['a_right_b_wrong'])})</h4>",
            html.flips_table(pairs["a_right_b_wrong"], a.run, b.run),
            f"<h4>{escape(b.run)} right, {escape(a.run)} wrong "
            f"({len(pairs['b_right_a_wrong'])})</h4>",
            html.flips_table(pairs["b_right_a_wrong"], a.run, b.run),
            "<h4>Per-slice deltas</h4>", html.slice_deltas_table(summary["slice_deltas"])]


def _label_issues_section(cases: RunCases, result: dict[str, Any]) -> list[str]:
    """Top label issues when amm_core.label_issues is available; a note otherwise."""
    try:
        from amm_core.label_issues import rank_label_issues
    except ImportError:
        note = "label-issue ranking is not available in this installation"
        result.setdefault("label_issues", {})[cases.task] = {"note": note}
        return ["<h3>Label issues</h3>", f"<p class='note'>Skipped: {note}.</p>"]
    ids = [c.external_id for c in cases.cases]
    issues = rank_label_issues(cases.probs(), cases.y_true(), cases.labels, ids,
                               limit=LABEL_ISSUES_SHOWN) if cases.cases else []
    in_sample = cases.split in (None, "train")
    note = ("in-sample predictions (the run trained on these cases): ranking is optimistic"
            if in_sample else "out-of-fold predictions (a split the run did not train on)")
    rows = [issue.__dict__ for issue in issues]
    result.setdefault("label_issues", {})[cases.task] = {"note": note, "issues": rows}
    table = html.table(["case", "given", "suggested", "p(given)", "p(suggested)", "margin"],
                       [[escape(str(r["sample_id"])), escape(r["given"]),
                         escape(r["suggested"]), html.fmt(r["given_probability"]),
                         html.fmt(r["suggested_probability"]), html.fmt(r["margin"])]
                        for r in rows], left=3)
    return ["<h3>Top label issues</h3>", f"<p class='note'>{escape(note)}.</p>",
            table if rows else "<p class='note'>None found.</p>"]


def _write_atomically(target: Path, files: dict[str, str]) -> None:
    """Write `files` into a temporary sibling folder, then rename it to `target` (replacing an
    earlier report there); on any failure the temporary folder is removed."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    except OSError as exc:
        raise CommandError(f"cannot write the report next to {target}: {exc}") from exc
    old = target.with_name(f".{target.name}.old-{os.getpid()}")
    try:
        for name, text in files.items():
            (staging / name).write_text(text, encoding="utf-8")
        staging.chmod(0o755)
        if target.exists():
            target.rename(old)
        staging.rename(target)
    except BaseException as exc:
        shutil.rmtree(staging, ignore_errors=True)
        if old.exists() and not target.exists():
            old.rename(target)
        if isinstance(exc, OSError):
            raise CommandError(f"cannot write the report to {target}: {exc}") from exc
        raise
    shutil.rmtree(old, ignore_errors=True)
