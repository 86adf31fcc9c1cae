"""Find DAIC-WOZ / E-DAIC sessions (`XXX_P/` folders or `XXX_P.zip` zips) and read their files.

A `SessionFiles` hides whether a session is a folder or a zip: files are named by their path
relative to the session (e.g. `300_TRANSCRIPT.csv`, `features/300_OpenFace2.1.0_Pose_gaze_AUs.csv`).
"""

from __future__ import annotations

import os
import re
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from amm_core.data.records import ImportFailure

SESSION_FOLDER = re.compile(r"^(\d{3})_P$")
SESSION_ZIP = re.compile(r"^(\d{3})_P\.zip$", re.IGNORECASE)
# E-DAIC keeps its sessions in `data/` next to `labels/`; plain DAIC-WOZ puts them at the root.
NESTED_SESSION_FOLDERS = ("data",)
MACOS_JUNK_FOLDER = "__MACOSX"
# Folder sessions are listed this deep (E-DAIC keeps its features in `features/`).
FOLDER_LIST_DEPTH = 2


def is_macos_junk(relative: str) -> bool:
    """True for AppleDouble files (`._name`) and anything inside `__MACOSX/`."""
    parts = relative.replace("\\", "/").split("/")
    return any(part == MACOS_JUNK_FOLDER or part.startswith("._") for part in parts)


@dataclass
class SessionFiles:
    """One session's files. `members` maps a session-relative path to the real member/file."""

    session_id: str
    path: Path
    source: str  # "folder" | "zip"
    members: dict[str, str] = field(default_factory=dict)

    @classmethod
    def open_path(cls, path: Path, session_id: str) -> SessionFiles:
        """The session stored at `path` (a folder or a zip), listed."""
        path = Path(path).resolve()
        if path.is_dir():
            return cls(session_id, path, "folder", _list_folder(path))
        if path.is_file():
            return cls(session_id, path, "zip", _list_zip(path, session_id))
        raise ImportFailure(f"{path}: session folder or zip not found")

    def find(self, relative: str) -> str | None:
        """The real member for `relative` (exact name first, then ignoring case), or None."""
        if relative in self.members:
            return relative
        lowered = relative.lower()
        for name in self.members:
            if name.lower() == lowered:
                return name
        return None

    def has(self, relative: str) -> bool:
        return self.find(relative) is not None

    def display(self, relative: str) -> str:
        """How messages name a file of this session, e.g. `300_P.zip:300_TRANSCRIPT.csv`."""
        sep = ":" if self.source == "zip" else "/"
        return f"{self.path.name}{sep}{self.find(relative) or relative}"

    @contextmanager
    def open(self, relative: str) -> Iterator[IO[bytes]]:
        """A binary file object for a session file (raises FileNotFoundError if absent)."""
        name = self.find(relative)
        if name is None:
            raise FileNotFoundError(f"{self.path.name}: no {relative}")
        if self.source == "folder":
            with open(self.path / name, "rb") as handle:
                yield handle
            return
        with _open_zip(self.path) as archive, archive.open(self.members[name]) as handle:
            yield handle

    def read_bytes(self, relative: str) -> bytes:
        """The file's bytes; ImportFailure naming the zip when its member is damaged."""
        try:
            with self.open(relative) as handle:
                return handle.read()
        except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
            raise ImportFailure(f"{self.path.name}: {relative} is damaged inside the zip "
                                f"({exc}); nothing imported") from exc


def find_sessions(root: Path) -> tuple[list[SessionFiles], list[str]]:
    """Sessions under `root` (and `root/data/`), sorted by id, plus notes about duplicates.

    A folder wins over a zip of the same session; the first location listed wins otherwise.
    """
    folders: dict[str, Path] = {}
    zips: dict[str, Path] = {}
    for base in (root, *(root / name for name in NESTED_SESSION_FOLDERS)):
        _scan_for_sessions(base, folders, zips)
    both = sorted(set(folders) & set(zips))
    notes = []
    if both:
        notes.append(
            f"{len(both)} session(s) present both as folder and zip, read from the folder: "
            + ", ".join(both)
        )
    sessions = []
    for session_id in sorted(set(folders) | set(zips)):
        path = folders.get(session_id) or zips[session_id]
        sessions.append(SessionFiles.open_path(path, session_id))
    return sessions, notes


def _scan_for_sessions(base: Path, folders: dict[str, Path], zips: dict[str, Path]) -> None:
    if not base.is_dir():
        return
    with os.scandir(base) as entries:
        for entry in sorted(entries, key=lambda e: e.name):
            folder = SESSION_FOLDER.match(entry.name)
            if folder and entry.is_dir():
                folders.setdefault(folder.group(1), Path(entry.path))
                continue
            archive = SESSION_ZIP.match(entry.name)
            if archive and entry.is_file():
                zips.setdefault(archive.group(1), Path(entry.path))


def _list_folder(folder: Path) -> dict[str, str]:
    members: dict[str, str] = {}
    for current, dirs, files in os.walk(folder):
        relative_dir = os.path.relpath(current, folder)
        depth = 0 if relative_dir == "." else relative_dir.count(os.sep) + 1
        dirs[:] = [] if depth + 1 >= FOLDER_LIST_DEPTH else sorted(dirs)
        for name in sorted(files):
            relative = name if depth == 0 else f"{relative_dir.replace(os.sep, '/')}/{name}"
            if not is_macos_junk(relative):
                members[relative] = relative
    return members


def _list_zip(path: Path, session_id: str) -> dict[str, str]:
    """Zip members by session-relative name; a single `XXX_P/` folder inside is looked through."""
    prefix = f"{session_id}_P/"
    with _open_zip(path) as archive:
        names = [n for n in archive.namelist() if not n.endswith("/") and not is_macos_junk(n)]
    members: dict[str, str] = {}
    for name in names:
        if not name.startswith(prefix):
            members.setdefault(name, name)
    for name in names:
        if name.startswith(prefix):
            # Files at the zip root win over the same name inside the folder.
            members.setdefault(name[len(prefix) :], name)
    return members


@contextmanager
def _open_zip(path: Path) -> Iterator[zipfile.ZipFile]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ImportFailure(f"{path.name}: not a readable zip file ({exc})") from exc
    with archive:
        yield archive
