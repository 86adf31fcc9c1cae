"""Read an unzipped MGID corpus (CSV splits + downloaded images) into `Sample`s with a data audit.

The audit (duplicates, cross-split images, label conflicts, split shift) lives in the summary.
"""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from amm_core.data.mgid_csv import UNSPLIT_PREFIX, MgidCorpus, MgidRow, read_mgid_corpus
from amm_core.data.records import MGID_EMOTIONS, SPLITS, ImportFailure, ImportResult, Sample

IMAGE_NAMINGS = ("asset-id", "split-index")
# Accepted image files, in order of preference when several exist for one name.
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".gif")
DEPRESSION_NAMES = ["not depressed", "depressed"]
EXAMPLES_LIMIT = 20
SPLIT_INDEX_NOTE = (
    "split-index image names (<split>_<i>.jpg) count only successful downloads, so after any "
    "failed download later rows may show the wrong image; prefer asset-id naming"
)


def read_mgid(
    csv_dir: Path, images_dir: Path | None = None, image_naming: str = "asset-id"
) -> ImportResult:
    """Read MGID's train/dev/test CSVs and match each row to its image file (if downloaded).

    `image_naming` "asset-id" looks for `<asset id>.jpg`; "split-index" for `<split>_<row>.jpg`
    in `images_dir` or `images_dir/<split>/`. Rows without an image stay as text-only samples.
    """
    if image_naming not in IMAGE_NAMINGS:
        raise ImportFailure(
            f"image naming {image_naming!r} is not one of {', '.join(IMAGE_NAMINGS)}"
        )
    corpus = read_mgid_corpus(Path(csv_dir))
    images = _ImageIndex(images_dir, image_naming)
    samples = [_sample(row, images.find(row)) for row in corpus.rows]
    summary = _summary(corpus, samples)
    if image_naming == "split-index":
        summary["notes"].append(SPLIT_INDEX_NOTE)
    if images_dir is None:
        summary["notes"].append("no images folder given: every sample is text-only")
    return ImportResult(
        kind="mgid",
        samples=samples,
        summary=summary,
        label_sets={"depression": list(DEPRESSION_NAMES), "emotion": list(MGID_EMOTIONS)},
        source=str(csv_dir),
    )


class _ImageIndex:
    """The image files of a folder, listed once, looked up by asset id or by split and row."""

    def __init__(self, images_dir: Path | None, naming: str) -> None:
        self.naming = naming
        self.files: dict[str, Path] = {}
        if images_dir is None:
            return
        root = Path(images_dir)
        if not root.is_dir():
            raise ImportFailure(f"{images_dir}: images folder not found")
        root = root.resolve()
        self.files = _list_images(root)
        if naming == "split-index":
            for prefix in (*SPLITS, UNSPLIT_PREFIX):
                # Files at the top level win over the same name inside a split folder.
                self.files = {**_list_images(root / prefix), **self.files}

    def find(self, row: MgidRow) -> Path | None:
        if self.naming == "split-index":
            return self.files.get(f"{row.prefix}_{row.row}")
        return self.files.get(row.asset.asset_id) if row.asset else None


def _list_images(folder: Path) -> dict[str, Path]:
    """Non-empty image files of `folder` by lower-case stem (zero-byte files count as missing)."""
    if not folder.is_dir():
        return {}
    found: dict[str, Path] = {}
    rank: dict[str, int] = {}
    with os.scandir(folder) as entries:
        for entry in entries:
            stem, suffix = os.path.splitext(entry.name)
            suffix = suffix.lower()
            if suffix not in IMAGE_SUFFIXES or not entry.is_file() or entry.stat().st_size == 0:
                continue
            key, order = stem.lower(), IMAGE_SUFFIXES.index(suffix)
            if key not in rank or order < rank[key]:
                found[key], rank[key] = folder / entry.name, order
    return found


def _sample(row: MgidRow, image: Path | None) -> Sample:
    return Sample(
        external_id=row.external_id,
        split=row.split,
        text=row.text,
        title=row.title or None,
        media_path=str(image) if image else None,
        media_kind="image" if image else None,
        depression_label=row.depression,
        emotion_label=row.emotion,
        meta={
            "asset_id": row.asset.asset_id if row.asset else None,
            "image_url": row.image_url or None,
            "asset_kind": row.asset.kind if row.asset else None,
            "row": row.row,
            "text_is_url": row.text_is_url,
        },
    )


def _summary(corpus: MgidCorpus, samples: list[Sample]) -> dict[str, Any]:
    rows = corpus.rows
    skipped: Counter[str] = Counter()
    for csv_file in corpus.files:
        skipped.update(csv_file.skipped)
    with_asset = [row for row in rows if row.asset]
    found = sum(1 for s in samples if s.media_path)
    found_with_asset = sum(1 for s in samples if s.media_path and s.meta["asset_id"])
    distribution = _label_distribution(rows)
    return {
        "rows": sum(f.records for f in corpus.files),
        "skipped": dict(sorted(skipped.items())),
        "empty_text": sum(1 for row in rows if not row.text),
        "text_is_url": sum(1 for row in rows if row.text_is_url),
        "bad_image_urls": len(rows) - len(with_asset),
        "images_found": found,
        "images_missing": len(with_asset) - found_with_asset,
        **_image_audit(with_asset),
        "label_distribution": distribution,
        "split_shift_warning": _split_shift_warning(rows),
        "notes": list(corpus.notes),
    }


def _image_audit(rows: list[MgidRow]) -> dict[str, Any]:
    """How images are shared between rows, splits and labels (rows must all have an asset)."""
    by_asset: dict[str, list[MgidRow]] = defaultdict(list)
    for row in rows:
        by_asset[row.asset.asset_id].append(row)  # type: ignore[union-attr]
    duplicated = [a for a, group in by_asset.items() if len(group) > 1]
    cross_split = [a for a, group in by_asset.items() if len({r.prefix for r in group}) > 1]
    conflicts = [
        a for a, group in by_asset.items() if len({(r.depression, r.emotion) for r in group}) > 1
    ]
    return {
        "distinct_images": len(by_asset),
        "duplicated_images": len(duplicated),
        "rows_sharing_an_image": sum(len(by_asset[a]) for a in duplicated),
        "cross_split_images": len(cross_split),
        "label_conflicts": len(conflicts),
        "examples": {
            "duplicated": _examples(duplicated),
            "cross_split": _examples(cross_split),
            "label_conflicts": _examples(conflicts),
        },
    }


def _examples(asset_ids: list[str]) -> list[str]:
    return sorted(asset_ids, key=lambda a: (len(a), a))[:EXAMPLES_LIMIT]


def _split_key(row: MgidRow) -> str:
    return row.split or "unsplit"


def _label_distribution(rows: list[MgidRow]) -> dict[str, dict[str, dict[str, int]]]:
    """Per split: depression counts ("1", "0") and emotion counts in the fixed class order."""
    result: dict[str, dict[str, dict[str, int]]] = {}
    for row in rows:
        split = result.setdefault(
            _split_key(row),
            {"depression": {"1": 0, "0": 0}, "emotion": dict.fromkeys(MGID_EMOTIONS, 0)},
        )
        split["depression"][str(row.depression)] += 1
        split["emotion"][row.emotion] += 1
    return result


def _split_shift_warning(rows: list[MgidRow]) -> str | None:
    """A sentence when depressed rows' majority emotion in dev/test differs from train's."""
    majority = {split: _majority_emotion(rows, split) for split in SPLITS}
    reference = majority["train"]
    if reference is None:
        return None
    shifted = [
        f"'{emotion}' in {split}"
        for split, emotion in majority.items()
        if emotion is not None and emotion != reference
    ]
    if not shifted:
        return None
    return (
        f"Depressed rows mostly carry emotion '{reference}' in train but {' and '.join(shifted)}: "
        "the emotion labels shift between splits, so train/test scores are not comparable."
    )


def _majority_emotion(rows: list[MgidRow], split: str) -> str | None:
    counts = Counter(r.emotion for r in rows if r.split == split and r.depression == 1)
    if not counts:
        return None
    # Ties go to the earlier class in MGID_EMOTIONS, so the answer is stable.
    return max(MGID_EMOTIONS, key=lambda emotion: counts[emotion])
