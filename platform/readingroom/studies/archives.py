"""Safe extraction of zip archive members: path traversal and zip bombs are refused per member."""

from __future__ import annotations

import stat
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

_CHUNK = 1 << 20


@dataclass(frozen=True)
class Member:
    """One member of an archive: extracted to ``path``, or refused with ``error``."""

    key: str
    path: Path | None
    error: str = ""


def _unsafe_name(name: str) -> str:
    """Why a member name may not be extracted, or ``""``."""
    if "\\" in name or name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return "absolute or non-portable path"
    parts = PurePosixPath(name).parts
    if any(part == ".." for part in parts):
        return "path traversal ('..') in the member name"
    if "\0" in name:
        return "NUL in the member name"
    return ""


def zip_members(archive: Path, dest: Path, *, max_member_bytes: int, max_ratio: float) -> Iterator[Member]:
    """Extract the file members of ``archive`` under ``dest`` one by one, refusing unsafe ones.

    A member is refused (``Member.error`` set, nothing written) when its name is absolute or climbs out
    with ``..``, when it is a symbolic link, when its declared size exceeds ``max_member_bytes``, when its
    compression ratio exceeds ``max_ratio``, or when it inflates beyond its declared size. Keys are
    ``"<archive>!<member name>"``. Raises :class:`zipfile.BadZipFile` for an unreadable archive.
    """
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            if info.is_dir():
                continue
            key = f"{archive}!{info.filename}"
            reason = _unsafe_name(info.filename)
            if not reason and stat.S_ISLNK(info.external_attr >> 16):
                reason = "symbolic link"
            if not reason and info.file_size > max_member_bytes:
                reason = f"declared size {info.file_size} B exceeds the limit of {max_member_bytes} B"
            if not reason and info.file_size > max_ratio * max(info.compress_size, 1):
                reason = f"compression ratio above {max_ratio:g} (zip bomb?)"
            if reason:
                yield Member(key=key, path=None, error=f"{key}: refused: {reason}")
                continue
            target = dest / f"{len(key)}_{abs(hash(key))}" / PurePosixPath(info.filename).name
            target.parent.mkdir(parents=True, exist_ok=True)
            written, too_big = 0, False
            try:
                with zf.open(info) as src, target.open("wb") as out:
                    while chunk := src.read(_CHUNK):
                        written += len(chunk)
                        if written > info.file_size or written > max_member_bytes:
                            too_big = True
                            break
                        out.write(chunk)
            except (zipfile.BadZipFile, OSError, NotImplementedError, EOFError, zlib.error) as exc:
                target.unlink(missing_ok=True)
                yield Member(key=key, path=None, error=f"{key}: cannot extract: {exc}")
                continue
            if too_big:
                target.unlink(missing_ok=True)
                yield Member(key=key, path=None, error=f"{key}: refused: inflates beyond its declared size")
                continue
            yield Member(key=key, path=target)
