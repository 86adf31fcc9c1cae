"""The paper's experiment grid (Tables III-V) and the report that sets our figures beside the
paper's. Pure: the `amm experiment` command trains the runs and hands their metrics here."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class GridRun:
    variant: str
    modalities: str
    task: str | None = None

    def key(self) -> str:
        task = f"-{self.task}" if self.task else ""
        return f"{self.variant}{task}-{self.modalities}"


@dataclass(frozen=True)
class TableRow:
    table: str
    label: str
    run: GridRun
    task: str  # the task whose figure the row reports


AMM = GridRun("amm", "text+image")

# Paper figures (test micro-F1, %) where the paper states them (MODEL.md section 7), keyed by
# (dataset kind, grid run key, task): every table row that reports that run and task carries
# the figure (Tables IV and V repeat the full AMM run as "AMM (full)" and "AMM multi-task").
PAPER_FIGURES: dict[tuple[str, str, str], float] = {
    ("mgid", AMM.key(), "depression"): 74.1,
    ("mgid", GridRun("amm", "text").key(), "depression"): 72.1,
    ("mgid", GridRun("amm", "image").key(), "depression"): 64.6,
    ("mgid", AMM.key(), "emotion"): 58.1,
    ("daic", AMM.key(), "depression"): 68.5,
}

PAPER_SUITE: tuple[TableRow, ...] = (
    TableRow("III: modalities", "Linear probe (floor)", GridRun("linear", "text+image"),
             "depression"),
    TableRow("III: modalities", "Linear probe, text only (floor for Text-AMM)",
             GridRun("linear", "text"), "depression"),
    TableRow("III: modalities", "Text-AMM", GridRun("amm", "text"), "depression"),
    TableRow("III: modalities", "Image-AMM", GridRun("amm", "image"), "depression"),
    TableRow("III: modalities", "AMM (text+image)", AMM, "depression"),
    TableRow("IV: attention ablations", "AMM without I_e", GridRun("no_ie", "text+image"),
             "depression"),
    TableRow("IV: attention ablations", "AMM without I_t", GridRun("no_it", "text+image"),
             "depression"),
    TableRow("IV: attention ablations", "AMM without attention",
             GridRun("no_attention", "text+image"), "depression"),
    TableRow("IV: attention ablations", "AMM (full)", AMM, "depression"),
    TableRow("V: multi-task vs single-task", "STL depression",
             GridRun("stl", "text+image", "depression"), "depression"),
    TableRow("V: multi-task vs single-task", "AMM multi-task (depression)", AMM, "depression"),
    TableRow("V: multi-task vs single-task", "STL emotion",
             GridRun("stl", "text+image", "emotion"), "emotion"),
    TableRow("V: multi-task vs single-task", "AMM multi-task (emotion)", AMM, "emotion"),
)


def suite_runs(rows: tuple[TableRow, ...] = PAPER_SUITE) -> list[GridRun]:
    """The distinct runs the suite needs, in first-use order."""
    return list(dict.fromkeys(row.run for row in rows))


Metrics = dict[str, Any]
Results = dict[str, "Metrics | list[Metrics]"]  # grid key -> one run's metrics, or one per seed

# Paired per-seed differences the notes report: (label, better run, worse run, task).
COMPARISONS: tuple[tuple[str, GridRun, GridRun, str], ...] = (
    ("AMM - linear probe", AMM, GridRun("linear", "text+image"), "depression"),
    ("AMM - Text-AMM", AMM, GridRun("amm", "text"), "depression"),
    ("Text-AMM - linear probe (text)", GridRun("amm", "text"), GridRun("linear", "text"),
     "depression"),
    ("AMM - Image-AMM", AMM, GridRun("amm", "image"), "depression"),
    ("AMM - without I_e", AMM, GridRun("no_ie", "text+image"), "depression"),
    ("AMM - without I_t", AMM, GridRun("no_it", "text+image"), "depression"),
    ("AMM - without attention", AMM, GridRun("no_attention", "text+image"), "depression"),
    ("AMM - STL depression", AMM, GridRun("stl", "text+image", "depression"), "depression"),
    ("AMM - STL emotion", AMM, GridRun("stl", "text+image", "emotion"), "emotion"),
)


def _per_seed(value: Metrics | list[Metrics] | None) -> list[Metrics]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _raw_figure(metrics: Metrics | None, task: str, key: str = "micro_f1",
                split: str = "test") -> float | None:
    value = ((metrics or {}).get(split) or {}).get(task, {}).get(key)
    return None if value is None else 100 * value


def _figure(metrics: Metrics | None, task: str, key: str = "micro_f1",
            split: str = "test") -> float | None:
    value = _raw_figure(metrics, task, key, split)
    return None if value is None else round(value, 1)


def _interval(metrics: Metrics | None, task: str) -> tuple[float, float] | None:
    bounds = ((metrics or {}).get("test") or {}).get(task, {}).get("intervals", {}).get("micro_f1")
    return None if not bounds else (100 * bounds[0], 100 * bounds[1])


def _mean_sd(values: list[float | None]) -> tuple[float | None, float | None]:
    """Mean and sample standard deviation (None for the sd of a single value), rounded."""
    present = [v for v in values if v is not None]
    if not present:
        return None, None
    mean = sum(present) / len(present)
    if len(present) < 2:
        return round(mean, 1), None
    var = sum((v - mean) ** 2 for v in present) / (len(present) - 1)
    return round(mean, 1), round(var ** 0.5, 1)


def _row_figures(runs: list[Metrics], task: str) -> dict[str, Any]:
    micro, micro_sd = _mean_sd([_figure(m, task) for m in runs])
    macro, macro_sd = _mean_sd([_figure(m, task, "macro_f1") for m in runs])
    dev, dev_sd = _mean_sd([_figure(m, task, split="dev") for m in runs])
    intervals = [i for i in (_interval(m, task) for m in runs) if i is not None]
    low = round(sum(i[0] for i in intervals) / len(intervals), 1) if intervals else None
    high = round(sum(i[1] for i in intervals) / len(intervals), 1) if intervals else None
    return {"micro_f1": micro, "macro_f1": macro, "micro_f1_sd": micro_sd,
            "macro_f1_sd": macro_sd, "dev_micro_f1": dev, "dev_micro_f1_sd": dev_sd,
            "ci_low": low, "ci_high": high, "seeds": len(runs)}


def report_rows(
    dataset_kind: str, results: Results, rows: tuple[TableRow, ...] = PAPER_SUITE,
    epochs: int | None = None,
) -> list[dict[str, Any]]:
    """One dict per table row: ours (test micro- and macro-F1, %, mean over seeds, with the sd,
    the dev micro-F1 and the mean bootstrap 95 % interval), the paper's figure and, when given,
    the epochs each run trained for (at most: early stopping may end a run sooner)."""
    paper_kind = "daic" if dataset_kind in ("daic", "edaic") else dataset_kind
    out = []
    for row in rows:
        figures = _row_figures(_per_seed(results.get(row.run.key())), row.task)
        out.append({
            "table": row.table, "model": row.label, "task": row.task, "run": row.run.key(),
            "micro_f1": figures.pop("micro_f1"), "macro_f1": figures.pop("macro_f1"),
            "paper_micro_f1": PAPER_FIGURES.get((paper_kind, row.run.key(), row.task)),
            **figures, **({} if epochs is None else {"epochs": epochs}),
        })
    return out


def paired_differences(results: Results) -> list[str]:
    """Per-seed paired test micro-F1 differences (percentage points) for COMPARISONS, from the
    unrounded scores (only the result is rounded)."""
    lines = []
    for label, better, worse, task in COMPARISONS:
        ours, theirs = _per_seed(results.get(better.key())), _per_seed(results.get(worse.key()))
        pairs = [(_raw_figure(a, task), _raw_figure(b, task))
                 for a, b in zip(ours, theirs, strict=False)]
        diffs = [a - b for a, b in pairs if a is not None and b is not None]
        if not diffs:
            continue
        mean, sd = _mean_sd(diffs)
        spread = "" if sd is None else f" ± {sd:.1f}"
        ahead = sum(d > 0 for d in diffs)
        ties = sum(d == 0 for d in diffs)
        lines.append(f"{label} ({task}, test micro-F1, paired by seed): {mean:+.1f}{spread} pt; "
                     f"ahead in {ahead}, tied in {ties} of {len(diffs)} seed(s)")
    return lines


def to_csv(rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]) if rows else ["table"])
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def _cell(value: float | None, sd: float | None = None) -> str:
    if value is None:
        return "—"
    return f"{value:.1f}" if sd is None else f"{value:.1f} ± {sd:.1f}"


def _ci(row: dict[str, Any]) -> str:
    low, high = row.get("ci_low"), row.get("ci_high")
    return "—" if low is None or high is None else f"{low:.1f}–{high:.1f}"


def to_markdown(dataset: str, rows: list[dict[str, Any]], notes: list[str],
                epochs: int | None = None) -> str:
    seeds = max((r.get("seeds") or 1 for r in rows), default=1)
    trained = ("" if epochs is None else
               f" Each run trained for at most {epochs} epoch(s) (early stopping on dev may end "
               "it sooner).")
    lines = [f"# Paper suite on `{dataset}`", "",
             "Test-split micro-F1 and macro-F1 (%), ours beside the paper's (Zhang et al., BIBM "
             f"2021) where it states one: mean ± sd over {seeds} seed(s); the 95 % interval is "
             "the test-row bootstrap, averaged over seeds; dev micro-F1 is the split that "
             f"chose each run's epoch. Tuning used dev splits only.{trained}", ""]
    for table in dict.fromkeys(r["table"] for r in rows):
        lines += [f"## Table {table}", "",
                  "| model | task | micro-F1 | 95% CI | macro-F1 | dev micro-F1 | "
                  "paper micro-F1 |",
                  "|---|---|---:|---:|---:|---:|---:|"]
        for r in (r for r in rows if r["table"] == table):
            lines.append(
                f"| {r['model']} | {r['task']} | {_cell(r['micro_f1'], r.get('micro_f1_sd'))} | "
                f"{_ci(r)} | {_cell(r['macro_f1'], r.get('macro_f1_sd'))} | "
                f"{_cell(r.get('dev_micro_f1'), r.get('dev_micro_f1_sd'))} | "
                f"{_cell(r['paper_micro_f1'])} |")
        lines.append("")
    if notes:
        lines += ["## Notes", ""] + [f"- {note}" for note in notes] + [""]
    return "\n".join(lines)
