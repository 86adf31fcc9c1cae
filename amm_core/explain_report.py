"""An explanation on disk: `explanation.json`, a self-contained `explanation.html` (figures inlined
as PNG data, no script, no network) and one PNG per figure, drawn by explain_render.py."""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from amm_core import explain_render as render

if TYPE_CHECKING:
    from amm_core.explain import Explanation
    from amm_core.explain_pixels import ImageInput

FIGURE_TITLES = {
    "tokens": "Token attributions (Integrated Gradients)",
    "zones": "Zone attributions",
    "pixels": "Pixel attribution",
    "facial": "Facial features per window",
    "attention": "Encoder attention",
    "inter_modal_t2v": "Inter-modal attention: text steps attending to visual steps",
    "inter_modal_v2t": "Inter-modal attention: visual steps attending to text steps",
    "inter_task_dep_from_emo": "Inter-task attention: depression <- emotion",
    "inter_task_emo_from_dep": "Inter-task attention: emotion <- depression",
}


def write_explanation(
    explanation: Explanation,
    out_dir: str | Path,
    image: ImageInput | None = None,
    pixels: np.ndarray | None = None,
) -> dict[str, str]:
    """Write the JSON, the HTML and the PNGs into `out_dir` (created); name -> file path.

    `image` (the explained picture) enables the zone and pixel overlays; `pixels` is
    `pixel_attribution`'s map for that image.
    """
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    rgb = _rgb_array(image)
    pictures = figures(explanation, rgb, pixels)
    written: dict[str, str] = {}
    encoded = {name: render.png_bytes(picture) for name, picture in pictures.items()}
    for name, data in encoded.items():
        path = folder / f"{name}.png"
        path.write_bytes(data)
        written[name] = str(path)
    payload = explanation.to_json()
    if pixels is not None:
        payload["pixels_shape"] = list(np.asarray(pixels).shape)
    json_path = folder / "explanation.json"
    json_path.write_text(json.dumps(payload, indent=1), encoding="utf-8")
    html_path = folder / "explanation.html"
    html_path.write_text(explanation_html(explanation, encoded), encoding="utf-8")
    return {"json": str(json_path), "html": str(html_path), **written}


def _rgb_array(image: ImageInput | None) -> np.ndarray | None:
    if image is None:
        return None
    from amm_core.explain_pixels import as_rgb

    return np.asarray(as_rgb(image), dtype=np.uint8)


def figures(
    explanation: Explanation, rgb: np.ndarray | None, pixels: np.ndarray | None
) -> dict[str, np.ndarray]:
    """Figure name -> BGR image, only for the parts this explanation has."""
    e = explanation
    about = f"{e.task}: {e.target}"
    out = {"tokens": render.bar_chart(
        e.tokens, e.token_attributions, f"IG per token for {about} (delta {e.delta:.3g})")}
    if e.zone_attributions is not None:
        title = f"IG per {e.visual_kind or 'visual'} step for {about}"
        out["zones"] = (render.zone_overlay(rgb, e.zone_names, e.zone_attributions, title)
                        if rgb is not None and e.visual_kind == "image"
                        else render.bar_chart(e.zone_names, e.zone_attributions, title))
    if pixels is not None and rgb is not None:
        out["pixels"] = render.pixel_overlay(rgb, np.asarray(pixels), f"Pixels for {about}")
    if e.facial is not None and e.facial_names:
        out["facial"] = render.heatmap(np.asarray(e.facial), e.zone_names, e.facial_names,
                                       f"IG per window x facial feature for {about}", signed=True)
    attention = [render.bar_chart(e.tokens, e.word_attention, "Word attention (alpha t)")]
    if e.visual_attention is not None:
        attention.append(render.bar_chart(e.zone_names, e.visual_attention,
                                          "Zone / clip attention (alpha v)"))
    out["attention"] = render.stack(attention)
    out.update(_attention_maps(e))
    return out


def _attention_maps(e: Explanation) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    if e.inter_modal is not None:
        text, visual = e.inter_modal["text_steps"], e.inter_modal["visual_steps"]
        t2v, v2t = np.asarray(e.inter_modal["t2v"]), np.asarray(e.inter_modal["v2t"])
        heads = t2v.shape[0]
        out["inter_modal_t2v"] = render.heatmap(
            t2v.mean(0), text, visual, f"Text -> visual attention (mean of {heads} heads)")
        out["inter_modal_v2t"] = render.heatmap(
            v2t.mean(0), visual, text, f"Visual -> text attention (mean of {heads} heads)")
    if e.inter_task is not None:
        steps = e.inter_task["steps"]
        for name, label in (("dep_from_emo", "Depression steps <- emotion steps"),
                            ("emo_from_dep", "Emotion steps <- depression steps")):
            out[f"inter_task_{name}"] = render.heatmap(
                np.asarray(e.inter_task[name]), steps, steps, label)
    return out


def _token_spans(tokens: list[str], values: list[float]) -> str:
    """Tokens as HTML spans shaded red (for the class) or blue (against), word pieces joined."""
    span = max((abs(v) for v in values), default=0.0) or 1.0
    parts = []
    for token, value in zip(tokens, values, strict=True):
        alpha = 0.85 * abs(value) / span
        rgb = "214,40,40" if value >= 0 else "30,110,200"
        glue = "" if token.startswith("##") else " "
        shown = html.escape(token[2:] if token.startswith("##") else token)
        parts.append(f'{glue}<span class="tok" style="background:rgba({rgb},{alpha:.2f})" '
                     f'title="{value:+.4f}">{shown}</span>')
    return "".join(parts).strip()


def _probability_table(probabilities: dict[str, dict[str, float]]) -> str:
    rows = []
    for task, classes in probabilities.items():
        best = max(classes, key=classes.get)
        cells = ", ".join(
            (f"<b>{html.escape(c)} {p:.3f}</b>" if c == best else f"{html.escape(c)} {p:.3f}")
            for c, p in classes.items())
        rows.append(f"<tr><th>{html.escape(task)}</th><td>{cells}</td></tr>")
    return "<table>" + "".join(rows) + "</table>"


STYLE = """body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}
.tok{padding:1px 2px;border-radius:3px}.tokens{font-size:1.2em;line-height:2}
table{border-collapse:collapse}th,td{border:1px solid #ccc;padding:4px 8px;text-align:left}
img{max-width:100%;border:1px solid #eee;margin:6px 0}.note{color:#8a5300}"""


def explanation_html(explanation: Explanation, pngs: dict[str, bytes]) -> str:
    """One self-contained page: predictions, highlighted tokens, delta, notes and every figure."""
    e = explanation
    notes = "".join(f'<p class="note">{html.escape(n)}</p>' for n in e.notes)
    images = "".join(
        f"<h2>{html.escape(FIGURE_TITLES.get(name, name))}</h2>"
        f'<img alt="{html.escape(name)}" src="data:image/png;base64,'
        f'{base64.b64encode(data).decode("ascii")}">'
        for name, data in pngs.items())
    body: list[Any] = [
        f"<h1>Why {html.escape(e.task)} = {html.escape(e.target)}?</h1>",
        _probability_table(e.probabilities),
        "<h2>Tokens</h2>",
        f'<p class="tokens">{_token_spans(e.tokens, e.token_attributions)}</p>',
        "<p>Red pushes towards the explained class, blue away from it (Integrated Gradients "
        f"from an all-zero baseline, {e.steps} steps). Completeness delta: {e.delta:.4g} "
        f"(logit {e.target_logit:.4f}, baseline {e.baseline_logit:.4f}).</p>",
        notes, images,
    ]
    return ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>AMM explanation</title>"
            f"<style>{STYLE}</style></head><body>{''.join(body)}</body></html>")
