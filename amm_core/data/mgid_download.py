"""Download MGID's images once per Getty asset id, resumably, with retries and a manifest.

Files are named `<asset id>.jpg` (`.png`/`.webp`/`.gif` when the server sends that format).
"""

from __future__ import annotations

import csv
import http.client
import json
import os
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from amm_core.data.mgid_csv import read_mgid_corpus

USER_AGENT = "amm-studio-mgid-downloader/0.1"
MAX_IMAGE_BYTES = 50 * 1024 * 1024
MANIFEST_NAME = "manifest.json"
FAILURES_NAME = "failures.csv"
# Saved file suffix per detected format; the first is what resume checks first.
SUFFIX_BY_FORMAT = {"jpeg": ".jpg", "png": ".png", "webp": ".webp", "gif": ".gif"}

Progress = Callable[[str], None]


class DownloadError(Exception):
    """One image could not be fetched; `retry` says whether trying again may help."""

    def __init__(self, message: str, *, retry: bool) -> None:
        super().__init__(message)
        self.retry = retry


@dataclass(frozen=True)
class _Job:
    asset_id: str
    url: str


@dataclass(frozen=True)
class _Policy:
    retries: int
    timeout: float
    backoff: float


def download_mgid_images(
    csv_dir: Path,
    out_dir: Path,
    *,
    workers: int = 4,
    retries: int = 3,
    timeout: float = 20.0,
    backoff: float = 0.5,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Fetch every distinct image of the MGID CSVs into `out_dir`; skip ones already there.

    `retries` is how many times a transient failure (connection error, timeout, HTTP 429/5xx) is
    retried after the first try, waiting `backoff * 2**attempt` seconds; 403/404 are not retried.
    Writes `manifest.json` and `failures.csv` in `out_dir` and returns the counts.
    """
    if workers < 1:
        raise ValueError(f"workers must be at least 1, not {workers}")
    if retries < 0:
        raise ValueError(f"retries must be 0 or more, not {retries}")
    report = progress or (lambda message: None)
    jobs = _distinct_jobs(Path(csv_dir))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    done = {job.asset_id for job in jobs if existing_image(out, job.asset_id)}
    present = sorted(done, key=_numeric)
    todo = [job for job in jobs if job.asset_id not in done]
    report(f"{len(jobs)} distinct images: {len(present)} already present, {len(todo)} to fetch")
    downloaded, failed = _run(todo, out, _Policy(retries, timeout, backoff), workers, report)
    manifest = _write_reports(out, downloaded, present, failed)
    report(f"downloaded {len(downloaded)}, failed {len(failed)}; manifest at {manifest}")
    return {
        "images": len(jobs),
        "downloaded": len(downloaded),
        "already_present": len(present),
        "failed": len(failed),
        "manifest": str(manifest),
    }


def existing_image(out_dir: Path, asset_id: str) -> Path | None:
    """A non-empty `<asset id>.<suffix>` already in `out_dir`, if any."""
    for suffix in SUFFIX_BY_FORMAT.values():
        path = out_dir / f"{asset_id}{suffix}"
        if path.is_file() and path.stat().st_size > 0:
            return path
    return None


def _distinct_jobs(csv_dir: Path) -> list[_Job]:
    """One job per asset id, with the URL of its first row (train, then dev, then test)."""
    seen: dict[str, str] = {}
    for row in read_mgid_corpus(csv_dir).rows:
        if row.asset and row.asset.asset_id not in seen:
            seen[row.asset.asset_id] = row.image_url
    return [_Job(asset_id, url) for asset_id, url in seen.items()]


def _numeric(asset_id: str) -> tuple[int, str]:
    return (len(asset_id), asset_id)


def _run(
    jobs: list[_Job], out: Path, policy: _Policy, workers: int, report: Progress
) -> tuple[list[str], list[dict[str, str]]]:
    downloaded: list[str] = []
    failed: list[dict[str, str]] = []
    every = max(1, len(jobs) // 20)
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mgid-download")
    try:
        futures = {pool.submit(_fetch_to_file, job, out, policy): job for job in jobs}
        for done, future in enumerate(as_completed(futures), start=1):
            job = futures[future]
            error = future.result()
            if error is None:
                downloaded.append(job.asset_id)
            else:
                failed.append({"asset_id": job.asset_id, "url": job.url, "error": error})
            if done % every == 0 and done < len(jobs):
                report(f"{done}/{len(jobs)} fetched ({len(failed)} failed)")
    finally:
        # On Ctrl-C or a disk error, drop the queued downloads instead of finishing them all;
        # what was saved stays, and the next run resumes from it.
        pool.shutdown(wait=True, cancel_futures=True)
    downloaded.sort(key=_numeric)
    failed.sort(key=lambda f: _numeric(f["asset_id"]))
    return downloaded, failed


def _fetch_to_file(job: _Job, out: Path, policy: _Policy) -> str | None:
    """Download one image and save it atomically; the error message, or None on success."""
    try:
        data = _fetch_with_retries(job.url, policy)
    except DownloadError as exc:
        return str(exc)
    image_format = image_format_of(data)
    if image_format is None:
        return "response is not an image (JPEG, PNG, WebP or GIF)"
    _write_atomically(out / f"{job.asset_id}{SUFFIX_BY_FORMAT[image_format]}", data)
    return None


def _fetch_with_retries(url: str, policy: _Policy) -> bytes:
    attempt = 0
    while True:
        try:
            return fetch_image_bytes(url, policy.timeout)
        except DownloadError as exc:
            if not exc.retry or attempt >= policy.retries:
                raise
        time.sleep(policy.backoff * 2**attempt)
        attempt += 1


def fetch_image_bytes(url: str, timeout: float) -> bytes:
    """The response body of `url`; raises DownloadError (retryable or not) on failure."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            data = response.read(MAX_IMAGE_BYTES + 1)
    except urllib.error.HTTPError as exc:
        exc.close()
        transient = exc.code == 429 or exc.code >= 500
        raise DownloadError(f"HTTP {exc.code} {exc.reason}", retry=transient) from exc
    except urllib.error.URLError as exc:
        raise DownloadError(f"connection failed: {exc.reason}", retry=True) from exc
    except (TimeoutError, ConnectionError, http.client.HTTPException) as exc:
        raise DownloadError(f"connection failed: {exc or type(exc).__name__}", retry=True) from exc
    if len(data) > MAX_IMAGE_BYTES:
        raise DownloadError(f"response larger than {MAX_IMAGE_BYTES} bytes", retry=False)
    return data


def image_format_of(data: bytes) -> str | None:
    """'jpeg' | 'png' | 'webp' | 'gif' from the magic bytes, else None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    return None


def _write_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary file in the same folder, then rename: no half-written images."""
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _write_reports(
    out: Path, downloaded: list[str], present: list[str], failed: list[dict[str, str]]
) -> Path:
    manifest = out / MANIFEST_NAME
    content = {"downloaded": downloaded, "already_present": present, "failed": failed}
    _write_atomically(manifest, (json.dumps(content, indent=2) + "\n").encode("utf-8"))
    with open(out / FAILURES_NAME, "w", newline="", encoding="utf-8") as stream:
        writer = csv.DictWriter(stream, fieldnames=["asset_id", "url", "error"])
        writer.writeheader()
        writer.writerows(failed)
    return manifest
