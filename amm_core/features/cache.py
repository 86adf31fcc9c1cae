"""Content-hash feature cache: the key is sha256(content) + extractor name + extractor version +
the config fields that change the result; entries are written atomically.

Entry format (choice): a `.safetensors` file, the tensors as its tensors and everything else
(token strings, numbers) as JSON in its metadata. Reading one back takes ~0.1 ms against ~0.8 ms
for `torch.load(weights_only=True)` of the same entry, which is what makes a cached re-run fast;
and like `weights_only` it cannot run code. Entries written by earlier versions (`.pt`) are still
read, so an existing cache is not recomputed.

Each entry carries a CRC-32 of its content (the tensors' bytes in name order, then the JSON
values), checked on every read: a flipped byte in a file of unchanged size is a miss that is
recomputed, not features silently wrong (safetensors itself checks the structure, not the bytes).
CRC-32 detects accidental damage, which is the threat here (the cache holds derived data and is
keyed by content hashes); it costs ~20 us per typical entry. Entries written before the checksum
existed have none and are read as before."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
import time
import warnings
import zlib
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load as load_tensors
from safetensors.torch import save as save_tensors

from amm_core.data.pause_points import pause_point

Entry = dict[str, Any]  # tensors, and JSON values (lists of str, numbers, strings)
_CHUNK = 1 << 20
SUFFIX, LEGACY_SUFFIX = ".safetensors", ".pt"
_JSON_KEY = "amm_json"  # the metadata field holding an entry's non-tensor values
_CRC_KEY = "amm_crc32"  # the metadata field holding the entry's checksum (see the module doc)


def content_digest(content: bytes | str | Path) -> str:
    """sha256 hex of bytes, of a str's UTF-8, or of a file's bytes (a Path, read in chunks)."""
    if isinstance(content, Path):
        digest = hashlib.sha256()
        with content.open("rb") as handle:
            for chunk in iter(lambda: handle.read(_CHUNK), b""):
                digest.update(chunk)
        return digest.hexdigest()
    data = content.encode("utf-8") if isinstance(content, str) else content
    return hashlib.sha256(data).hexdigest()


def cache_key(digest: str, extractor: str, version: str, params: Mapping[str, Any]) -> str:
    """One hex key for (content digest, extractor, version, params); param order does not matter."""
    payload = json.dumps(
        {"content": digest, "extractor": extractor, "version": version, "params": dict(params)},
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0
    corrupt: int = 0  # unreadable entries, counted as misses too and rewritten
    write_errors: int = 0  # entries that could not be stored (the features were still returned)

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass
class FeatureCache:
    """Entries live at `<folder>/<extractor>/<key[:2]>/<key>.safetensors`; `folder=None` stores
    nothing."""

    folder: Path | None
    stats: CacheStats = field(default_factory=CacheStats)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def path(self, extractor: str, key: str) -> Path:
        if self.folder is None:
            raise ValueError("this cache is disabled (no folder)")
        return Path(self.folder) / extractor / key[:2] / f"{key}{SUFFIX}"

    def get(self, extractor: str, key: str, required: tuple[str, ...] = ()) -> Entry | None:
        """The stored entry, or None (counted as a miss) when absent, unreadable or lacking a
        `required` field."""
        entry = self._load(extractor, key, required)
        with self._lock:
            if entry is None:
                self.stats.misses += 1
            else:
                self.stats.hits += 1
        return entry

    def put(self, extractor: str, key: str, entry: Entry) -> None:
        """Write atomically (a temp file in the same folder, then os.replace). A failed write
        (disk full, read-only folder) is counted and warned about once; the features stand."""
        if self.folder is None:
            return
        target = self.path(extractor, key)
        temp: Path | None = None
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            handle, name = tempfile.mkstemp(dir=target.parent, prefix=f".{key[:8]}-", suffix=".tmp")
            temp = Path(name)
            with os.fdopen(handle, "wb") as stream:
                stream.write(encode_entry(entry))
            pause_point("cache-write")  # crash tests kill here: the temp file is never an entry
            os.replace(temp, target)
        except OSError as exc:
            if temp is not None:
                temp.unlink(missing_ok=True)
            with self._lock:
                self.stats.write_errors += 1
                first = self.stats.write_errors == 1
            if first:
                warnings.warn(f"feature cache not written under {self.folder}: {exc}", stacklevel=2)

    def sweep_orphans(self, older_than_s: float = 3600.0) -> int:
        """Remove the temp files of writes that never finished (a process killed mid-write),
        older than `older_than_s` so that no write in progress is touched; how many."""
        if self.folder is None or not Path(self.folder).is_dir():
            return 0
        cutoff, removed = time.time() - older_than_s, 0
        for temp in Path(self.folder).glob("*/*/.*.tmp"):
            try:
                if temp.stat().st_mtime < cutoff:
                    temp.unlink()
                    removed += 1
            except OSError:  # gone already (another sweep), or not ours to remove
                continue
        return removed

    def get_or_compute(
        self, extractor: str, key: str, compute: Callable[[], Entry], required: tuple[str, ...] = ()
    ) -> Entry:
        entry = self.get(extractor, key, required)
        if entry is None:
            entry = compute()
            self.put(extractor, key, entry)
        return entry

    def _load(self, extractor: str, key: str, required: tuple[str, ...]) -> Entry | None:
        if self.folder is None:
            return None
        target = self.path(extractor, key)
        try:
            entry: Any = decode_entry(target.read_bytes())
        except FileNotFoundError:
            legacy = target.with_suffix(LEGACY_SUFFIX)
            if not legacy.is_file():
                return None
            entry = _load_legacy(legacy)
        except Exception:  # any unreadable file is a miss, never a crash
            entry = None
        if not isinstance(entry, dict) or any(name not in entry for name in required):
            with self._lock:
                self.stats.corrupt += 1
            return None
        return entry


def encode_entry(entry: Entry) -> bytes:
    """An entry as safetensors bytes: tensors as tensors, the other values as JSON metadata,
    with the content's CRC-32."""
    tensors = {k: v.detach().cpu().contiguous().clone() for k, v in entry.items()
               if isinstance(v, torch.Tensor)}
    rest = json.dumps({k: v for k, v in entry.items() if not isinstance(v, torch.Tensor)})
    crc = str(_content_crc(tensors, rest))
    return save_tensors(tensors, metadata={_JSON_KEY: rest, _CRC_KEY: crc})


def decode_entry(data: bytes) -> Entry:
    """The inverse of `encode_entry`; raises on anything that is not such a file, or on content
    that does not match its checksum."""
    header_size = int.from_bytes(data[:8], "little")
    metadata = json.loads(data[8 : 8 + header_size]).get("__metadata__") or {}
    rest = metadata.get(_JSON_KEY, "{}")
    tensors = load_tensors(data)
    stored = metadata.get(_CRC_KEY)
    if stored is not None and stored != str(_content_crc(tensors, rest)):
        raise ValueError("cache entry does not match its checksum")
    return {**tensors, **json.loads(rest)}


def _content_crc(tensors: Mapping[str, torch.Tensor], rest: str) -> int:
    """CRC-32 over the tensors' names and bytes in name order, then the JSON values."""
    crc = 0
    for name in sorted(tensors):
        raw = tensors[name].contiguous().reshape(-1).view(torch.uint8).numpy()
        crc = zlib.crc32(raw, zlib.crc32(name.encode("utf-8"), crc))
    return zlib.crc32(rest.encode("utf-8"), crc)


def _load_legacy(path: Path) -> Any:
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception:  # an unreadable legacy file is a miss too
        return None
