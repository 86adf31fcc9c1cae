"""`amm explain`: why a run decided, for one text + image / video or one stored sample.

Writes explanation.json, a self-contained explanation.html and PNG figures into --out (default
<home>/explanations/<run>/<task>-<what>). Everything is computed first and written into a
temporary sibling folder that is renamed into place, so a failure leaves no partial folder.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from amm_core.cli.output import CommandError, Output, one_line
from amm_core.cli.storage import Workspace, open_workspace
from amm_core.workspace import Settings

TOP_TOKENS = 8


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    explain = commands.add_parser("explain", parents=[common], help="explain a run's decision")
    explain.add_argument("--run", required=True)
    explain.add_argument("--text", help="the text to explain (with --image / --video)")
    media = explain.add_mutually_exclusive_group()
    media.add_argument("--image", type=Path)
    media.add_argument("--video", type=Path)
    explain.add_argument("--gender", help="female, male or unknown")
    explain.add_argument("--dataset", help="explain a stored sample of this dataset")
    explain.add_argument("--sample", help="the sample's external id (e.g. 300_12, train:5)")
    explain.add_argument("--task", help="depression or emotion (default: the main task)")
    explain.add_argument("--target", help="the class to explain (default: the predicted one)")
    explain.add_argument("--pixels", action="store_true", help="add a pixel attribution map")
    explain.add_argument("--steps", type=int, default=32, help="Integrated Gradients steps")
    explain.add_argument("--out", type=Path, help="folder for the files")
    explain.set_defaults(handler=run_explain)


@dataclass
class Subject:
    """What is explained: the feature item, its picture (if any) and a name for files."""

    item: Any  # FeatureItem
    image: Path | None
    visual_kind: str | None
    label: str
    slug: str


def run_explain(args: argparse.Namespace, out: Output) -> dict[str, Any]:
    from amm_core.cli.model_data import load_run_predictor
    from amm_core.explain import explain_item, pixel_attribution, write_explanation
    from amm_core.train import main_task

    _check_arguments(args)
    started = time.perf_counter()
    workspace = open_workspace(Settings.resolve(args.home))
    _, predictor = load_run_predictor(workspace, args.run)
    task = args.task or main_task(predictor.config)
    subject = (_sample_subject(workspace, predictor, args, out) if args.dataset
               else _upload_subject(predictor, args))
    if args.pixels and subject.image is None:
        raise CommandError("--pixels needs an image (an uploaded image or an image sample)")
    try:
        explanation = explain_item(predictor, subject.item, task, args.target, args.steps,
                                   visual_kind=subject.visual_kind)
        pixels = None
        if args.pixels:
            out.progress("pixel attribution (occlusion)…")
            pixels = pixel_attribution(predictor, subject.image, task, explanation.target_index,
                                       item=subject.item)
    except ValueError as exc:
        raise CommandError(str(exc)) from exc
    target = args.out or workspace.settings.home / "explanations" / args.run / (
        f"{task}-{subject.slug}")
    files = write_atomically(
        target, lambda folder: write_explanation(explanation, folder, subject.image, pixels))
    summary = {"run": args.run, "subject": subject.label, "task": task,
               "target": explanation.target, "files": files,
               "seconds": round(time.perf_counter() - started, 2)}
    if out.json_mode:
        return {**summary, "explanation": explanation.to_json()}
    return {**summary, "probabilities": explanation.probabilities[task],
            "delta": round(explanation.delta, 4), "top tokens": _top_tokens(explanation)}


def _check_arguments(args: argparse.Namespace) -> None:
    from amm_core.config import GENDER_WORDS, TASKS

    if args.task is not None and args.task not in TASKS:
        raise CommandError(f"--task must be one of {', '.join(TASKS)}, not {args.task!r}")
    if args.gender is not None and args.gender not in GENDER_WORDS:
        raise CommandError(f"--gender must be one of {', '.join(GENDER_WORDS)}, not "
                           f"{args.gender!r}")
    if args.steps < 2:
        raise CommandError(f"--steps must be at least 2, not {args.steps}")
    media = args.image or args.video
    if args.dataset or args.sample:
        if not (args.dataset and args.sample):
            raise CommandError("a stored sample needs both --dataset NAME and --sample ID")
        if args.text is not None or media is not None:
            raise CommandError("--dataset/--sample explains a stored sample; do not mix it with "
                               "--text/--image/--video")
        return
    if not (args.text or "").strip() and media is None:
        raise CommandError("give --text T (and/or --image F / --video F), or --dataset NAME "
                           "--sample ID; empty text needs an image or a video")
    if media is not None and not media.is_file():
        raise CommandError(f"{media}: file not found")


def _upload_subject(predictor: Any, args: argparse.Namespace) -> Subject:
    media = args.image or args.video
    if "text" not in predictor.modalities and media is None:
        raise CommandError(f"run '{args.run}' reads {predictor.config.model.modalities} only: "
                           "give --image or --video")
    kind = _checked_media_kind(predictor, args) if media is not None else None
    try:
        item = predictor.upload_item(args.text or "", media, args.gender, kind=kind)
    except ValueError as exc:
        raise CommandError(one_line(str(exc))) from exc
    digest = hashlib.sha256((args.text or "").encode())
    if media is not None:
        digest.update(media.read_bytes())
    return Subject(item=item, image=args.image, visual_kind=kind, label="upload",
                   slug=f"upload-{digest.hexdigest()[:12]}")


def _checked_media_kind(predictor: Any, args: argparse.Namespace) -> str:
    """"image" | "video": the file's content checked against the flag, as `amm predict` does
    (a picture given as --video, or a clip as --image, is refused before any work)."""
    from amm_core.uploads import check_upload, check_video_decodes

    media = args.image or args.video
    try:
        checked = check_upload(args.text or "", media.read_bytes(), media.name, args.gender,
                               expected_kind="video" if args.video else "image",
                               config=predictor.config.features)
        if checked.media_kind == "video":
            check_video_decodes(media, media.name)
    except (OSError, ValueError) as exc:
        raise CommandError(one_line(str(exc))) from exc
    return str(checked.media_kind)


def _sample_subject(
    workspace: Workspace, predictor: Any, args: argparse.Namespace, out: Output
) -> Subject:
    from amm_core.cli.model_data import featurize, load_dataset

    data = load_dataset(workspace, args.dataset)
    found = next((s for s in data.samples if s.external_id == args.sample), None)
    if found is None:
        raise CommandError(f"dataset '{data.name}' has no sample '{args.sample}'")
    item = featurize(workspace, [found], predictor.config.features, data.label_sets, out)[0]
    image = Path(found.media_path) if found.media_kind == "image" and found.media_path else None
    if image is not None and (item.visual is None or not image.is_file()):
        image = None  # the picture is missing or unreadable: the item is text only
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{data.name}-{found.external_id}")
    return Subject(item=item, image=image, visual_kind=found.media_kind,
                   label=f"{data.name}/{found.external_id}", slug=slug)


def _top_tokens(explanation: Any) -> list[str]:
    pairs = sorted(zip(explanation.tokens, explanation.token_attributions, strict=True),
                   key=lambda p: -abs(p[1]))
    return [f"{token} {value:+.3f}" for token, value in pairs[:TOP_TOKENS]]


def write_atomically(target: Path, write: Callable[[Path], dict[str, str]]) -> dict[str, str]:
    """Run `write` into a temporary sibling folder, then rename it to `target` (replacing an
    earlier explanation there). A failure removes the temporary folder: nothing half-written."""
    target = target.expanduser().absolute()
    if target.exists() and not _replaceable(target):
        raise CommandError(f"{target} exists and is not an explanation folder; choose another "
                           "--out")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    except OSError as exc:
        raise CommandError(f"{target}: cannot write there ({exc.strerror or exc})") from exc
    try:
        files = write(staging)
        old = target.with_name(f".{target.name}.old-{uuid.uuid4().hex[:8]}")
        if target.exists():
            target.rename(old)
        staging.chmod(0o755)  # mkdtemp makes it private; the files are the user's to share
        staging.rename(target)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise CommandError(f"{target}: cannot write the explanation ({exc.strerror or exc})") \
            from exc
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    shutil.rmtree(old, ignore_errors=True)
    return {name: str(target / Path(path).name) for name, path in files.items()}


def _replaceable(folder: Path) -> bool:
    """An empty folder, or one holding an earlier explanation, may be replaced."""
    return folder.is_dir() and (not any(folder.iterdir()) or
                                (folder / "explanation.json").is_file())
