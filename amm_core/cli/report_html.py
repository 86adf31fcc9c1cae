"""HTML pieces of `amm report`: one self-contained page (inline CSS, inline SVG figures, images
as base64 thumbnails), nothing fetched when it is opened. Every value shown is escaped."""

from __future__ import annotations

import base64
import io
from html import escape
from pathlib import Path
from typing import Any

from amm_core.analysis_compare import p_phrase
from amm_core.cli.analysis_data import Case

THUMBNAIL_PX = 160
SCORE_NAMES = ("micro_f1", "macro_f1", "accuracy", "balanced_accuracy", "precision", "recall")
STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem;color:#222;max-width:1200px}
table{border-collapse:collapse;margin:.5rem 0 1rem}td,th{border:1px solid #ccc;padding:.25rem .5rem;
text-align:right}th{background:#f4f4f4}td.l,th.l{text-align:left}.note{color:#666}
.gallery{display:flex;flex-wrap:wrap;gap:.75rem}.case{border:1px solid #ddd;padding:.5rem;
width:220px;font-size:.85rem}.case img{max-width:200px;display:block}.bad{color:#b00}
.good{color:#070}section{margin-bottom:2rem}
"""


def fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return escape(str(value))


def page(title: str, body: list[str]) -> str:
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>"
            + "\n".join(body) + "</body></html>\n")


def table(headers: list[str], rows: list[list[str]], left: int = 1) -> str:
    """An HTML table; cells are already escaped / formatted; the first `left` columns align
    left."""
    def cls(i: int) -> str:
        return " class='l'" if i < left else ""

    head = "".join(f"<th{cls(i)}>{escape(h)}</th>" for i, h in enumerate(headers))
    body = "".join("<tr>" + "".join(f"<td{cls(i)}>{c}</td>" for i, c in enumerate(row)) + "</tr>"
                   for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def metrics_table(metrics: dict[str, Any], unit: str = "labelled cases") -> str:
    intervals = metrics.get("intervals", {})
    rows = []
    for name in SCORE_NAMES:
        low_high = intervals.get(name)
        ci = "—" if not low_high else f"[{low_high[0]:.3f}, {low_high[1]:.3f}]"
        rows.append([escape(name), fmt(metrics.get(name)), ci])
    return (f"<p>{metrics.get('n', 0)} {escape(unit)}.</p>"
            + table(["metric", "value", "95 % bootstrap interval"], rows))


def confusion_table(labels: list[str], matrix: list[list[int]]) -> str:
    """Rows = true class, columns = predicted class; the diagonal green, errors red by share."""
    peak = max((v for row in matrix for v in row), default=0) or 1
    rows = []
    for i, (label, row) in enumerate(zip(labels, matrix, strict=True)):
        cells = [escape(label)]
        for j, value in enumerate(row):
            hue = "0,140,0" if i == j else "190,0,0"
            alpha = 0.08 + 0.6 * value / peak if value else 0
            cells.append(f"<span style='display:block;background:rgba({hue},{alpha:.2f})'>"
                         f"{value}</span>")
        rows.append(cells)
    return table(["true \\ predicted", *labels], rows)


def reliability_svg(calibration: dict[str, Any], size: int = 240) -> str:
    """Reliability diagram: accuracy bars per confidence bin against the diagonal."""
    pad, inner = 30, size - 40
    parts = [f"<svg xmlns='http://www.w3.org/2000/svg' width='{size}' height='{size}' "
             f"role='img' aria-label='reliability diagram'>",
             f"<rect x='{pad}' y='10' width='{inner}' height='{inner}' fill='none' stroke='#999'/>",
             f"<line x1='{pad}' y1='{10 + inner}' x2='{pad + inner}' y2='10' "
             f"stroke='#999' stroke-dasharray='4'/>"]
    for b in calibration["bins"]:
        if not b["count"]:
            continue
        x = pad + b["low"] * inner
        width = (b["high"] - b["low"]) * inner
        height = b["accuracy"] * inner
        parts.append(f"<rect x='{x:.1f}' y='{10 + inner - height:.1f}' width='{width:.1f}' "
                     f"height='{height:.1f}' fill='#3a7bd5' fill-opacity='.7'>"
                     f"<title>{b['count']} cases, confidence {b['confidence']:.2f}, accuracy "
                     f"{b['accuracy']:.2f}</title></rect>")
        cy = 10 + inner - b["confidence"] * inner
        parts.append(f"<circle cx='{x + width / 2:.1f}' cy='{cy:.1f}' r='3' fill='#d55'/>")
    parts.append(f"<text x='{pad}' y='{size - 4}' font-size='10'>confidence 0 → 1</text>"
                 f"<text x='2' y='20' font-size='10'>acc</text></svg>")
    return "".join(parts)


def thumbnail_uri(path: str | None, kind: str | None) -> str | None:
    """A small JPEG of the image (or a video's first frame) as a data: URI; None if unreadable."""
    if not path or kind not in ("image", "video") or not Path(path).is_file():
        return None
    try:
        from PIL import Image

        if kind == "video":
            import cv2

            capture = cv2.VideoCapture(path)
            ok, frame = capture.read()
            capture.release()
            if not ok:
                return None
            image = Image.fromarray(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
        else:
            image = Image.open(path)
        image = image.convert("RGB")
        image.thumbnail((THUMBNAIL_PX, THUMBNAIL_PX))
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=80)
    except (OSError, ValueError):
        return None
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def probabilities_line(case: Case, top: int = 3) -> str:
    ranked = sorted(case.probabilities.items(), key=lambda kv: -kv[1])[:top]
    return ", ".join(f"{escape(k)} {v:.2f}" for k, v in ranked)


def case_card(case: Case, extra: str = "") -> str:
    uri = thumbnail_uri(case.media_path, case.media_kind)
    media = f"<img src='{uri}' alt='{escape(case.external_id)}'>" if uri else \
        "<p class='note'>(no image)</p>"
    text = case.text if len(case.text) <= 200 else case.text[:200] + "…"
    return (f"<div class='case'>{media}<b>{escape(case.external_id)}</b><br>"
            f"true <span class='good'>{escape(str(case.true))}</span>, predicted "
            f"<span class='bad'>{escape(case.predicted)}</span> ({case.confidence:.2f})<br>"
            f"<span class='note'>{probabilities_line(case)}</span>{extra}"
            f"<p>{escape(text)}</p></div>")


def gallery(cases: list[Case]) -> str:
    if not cases:
        return "<p class='note'>No misclassified cases.</p>"
    return "<div class='gallery'>" + "".join(case_card(c) for c in cases) + "</div>"


def flips_table(pairs: list[tuple[Case, Case]], run_a: str, run_b: str) -> str:
    """Every flip, one text row each (the Compare page shows the first few and points here)."""
    if not pairs:
        return "<p class='note'>None.</p>"
    rows = [[escape(a.external_id), escape(str(a.true)), escape(a.predicted),
             probabilities_line(a), escape(b.predicted), probabilities_line(b)]
            for a, b in pairs]
    return table(["case", "true", f"{run_a} predicted", f"{run_a} probabilities",
                  f"{run_b} predicted", f"{run_b} probabilities"], rows, left=6)


def slices_table(rows: list[dict[str, Any]]) -> str:
    return table(["slice", "value", "n", "errors", "accuracy", "macro F1", "balanced accuracy"],
                 [[escape(r["slice"]), escape(r["value"]), str(r["n"]), str(r["errors"]),
                   fmt(r["accuracy"]), fmt(r["macro_f1"]), fmt(r["balanced_accuracy"])]
                  for r in rows], left=2)


def signed(value: float) -> str:
    """+0.123 / -0.123, with no "-0.000" for a value that rounds to zero."""
    return f"{value if abs(value) >= 5e-4 else 0.0:+.3f}"


def delta_cell(delta: dict[str, Any]) -> str:
    """+d [low, high]; no interval (a slice inside one DAIC session) shows as [—]."""
    if delta["delta"] is None:
        return "—"
    if delta["interval"] is None:
        return f"{signed(delta['delta'])} [—]"
    low, high = delta["interval"]
    return f"{signed(delta['delta'])} [{signed(low)}, {signed(high)}]"


def slice_deltas_table(rows: list[dict[str, Any]]) -> str:
    return table(["slice", "value", "n", "accuracy A − B [95 %]", "macro F1 A − B [95 %]"],
                 [[escape(r["slice"]), escape(r["value"]), str(r["n"]),
                   delta_cell(r["accuracy"]), delta_cell(r["macro_f1"])] for r in rows], left=2)


def mcnemar_text(result: dict[str, Any], run_a: str, run_b: str,
                 unit: str = "cases") -> str:
    """One sentence; unit "utterances" (DAIC) says the test treats them as independent."""
    stat = "" if result["statistic"] is None else f", statistic {result['statistic']:.3f}"
    caveat = ("; it assumes the utterances are independent, which those of one session are "
              "not" if unit == "utterances" else "")
    level = {"utterances": "Utterance-level McNemar's test",
             "sessions": "Session-level McNemar's test"}.get(unit, "McNemar's test")
    return (f"<p>{level} ({escape(result['method'])}{stat}{caveat}): {escape(run_a)} right and "
            f"{escape(run_b)} wrong on {result['a_right_b_wrong']}, the reverse on "
            f"{result['b_right_a_wrong']} of {result['n']} {unit}; "
            f"<b>{p_phrase(result['p_value'])}</b>.</p>")


def sessions_table(rows: list[dict[str, Any]]) -> str:
    """Sessions with their utterance count, true label, prediction (mean probabilities)."""
    if not rows:
        return "<p class='note'>None.</p>"
    return table(["session", "utterances", "true", "predicted", "confidence"],
                 [[escape(r["session"]), str(r["utterances"]), escape(r["true"]),
                   escape(r["predicted"]), fmt(r["confidence"], 2)] for r in rows], left=1)
