"""Writing files under MEDIA_ROOT atomically (a reader never sees half a file)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings


def media_path(relative: str) -> Path:
    """The absolute path of a file named relative to MEDIA_ROOT."""
    return Path(settings.MEDIA_ROOT) / relative


def media_write(relative: str, data: bytes) -> Path:
    """Write ``data`` to MEDIA_ROOT/relative through a temporary file and an atomic rename."""
    path = media_path(relative)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".part")
    tmp.write_bytes(data)
    tmp.replace(path)
    return path
