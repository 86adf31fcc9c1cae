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


# Paper figures (test micro-F1, %) where the paper states them (MODEL.md section 7).
PAPER_FIGURES: dict[tuple[str, str, str], float] = {
    ("mgid", "AMM (text+image)", "depression"): 74.1,
    ("mgid", "Text-AMM", "depression"): 72.1,
    ("mgid", "Image-AMM", "depression"): 64.6,
    ("mgid", "AMM multi-task (emotion)", "emotion"): 58.1,
    ("daic", "AMM (text+image)", "depression"): 68.5,
}

AMM = GridRun("amm", "text+image")
PAPER_SUITE: tuple[TableRow, ...] = (
    TableRow("III: modalities", "Linear probe (floor)", GridRun("linear", "text+image"),
             "depression"),
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


def _figure(metrics: dict[str, Any] | None, task: str, key: str = "micro_f1") -> float | None:
    value = ((metrics or {}).get("test") or {}).get(task, {}).get(key)
    return None if value is None else round(100 * value, 1)


def report_rows(
    dataset_kind: str, results: dict[str, dict[str, Any]], rows: tuple[TableRow, ...] = PAPER_SUITE
) -> list[dict[str, Any]]:
    """One dict per table row: ours (test micro- and macro-F1, %) and the paper's figure."""
    paper_kind = "daic" if dataset_kind in ("daic", "edaic") else dataset_kind
    out = []
    for row in rows:
        metrics = results.get(row.run.key())
        out.append({
            "table": row.table, "model": row.label, "task": row.task, "run": row.run.key(),
            "micro_f1": _figure(metrics, row.task),
            "macro_f1": _figure(metrics, row.task, "macro_f1"),
            "paper_micro_f1": PAPER_FIGURES.get((paper_kind, row.label, row.task)),
        })
    return out


def to_csv(rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]) if rows else ["table"])
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def _cell(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def to_markdown(dataset: str, rows: list[dict[str, Any]], notes: list[str]) -> str:
    lines = [f"# Paper suite on `{dataset}`", "",
             "Test-split micro-F1 and macro-F1 (%), ours beside the paper's (Zhang et al., BIBM "
             "2021) where it states one. Tuning used dev splits only.", ""]
    for table in dict.fromkeys(r["table"] for r in rows):
        lines += [f"## Table {table}", "",
                  "| model | task | micro-F1 | macro-F1 | paper micro-F1 |",
                  "|---|---|---:|---:|---:|"]
        for r in (r for r in rows if r["table"] == table):
            lines.append(f"| {r['model']} | {r['task']} | {_cell(r['micro_f1'])} | "
                         f"{_cell(r['macro_f1'])} | {_cell(r['paper_micro_f1'])} |")
        lines.append("")
    if notes:
        lines += ["## Notes", ""] + [f"- {note}" for note in notes] + [""]
    return "\n".join(lines)
