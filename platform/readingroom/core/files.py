"""Writing files under MEDIA_ROOT atomically (a reader never sees half a file)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.http import FileResponse

from readingroom.core.exceptions import NotFound


def media_path(relative: str) -> Path:
    """The absolute path of a file named relative to MEDIA_ROOT."""
    return Path(settings.MEDIA_ROOT) / relative


@contextmanager
def _replacing(relative: str) -> Iterator[Path]:
    """A temporary path beside MEDIA_ROOT/relative that replaces it (atomic rename) when the block ends; on
    any error the temporary file is removed and the error raised."""
    path = media_path(relative)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".part")
    try:
        yield tmp
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)  # a full disk or a failed writer leaves no half-written file behind
        raise


def media_write(relative: str, data: bytes | memoryview) -> Path:
    """Write ``data`` to MEDIA_ROOT/relative through a temporary file and an atomic rename.

    On an OSError (a full disk) the temporary file is removed and the error raised: the target is either
    the old file or the new one, whole.
    """
    with _replacing(relative) as tmp:
        tmp.write_bytes(data)
    return media_path(relative)


def media_write_with(relative: str, write: Callable[[BinaryIO], object]) -> Path:
    """Like :func:`media_write`, ``write`` writing the content into the open temporary file itself (for
    content made by a writer, e.g. a DICOM file: no copy of it in memory).

    Whatever ``write`` or the disk raises, the temporary file is removed and the error raised.
    """
    with _replacing(relative) as tmp, tmp.open("wb") as fh:
        write(fh)
    return media_path(relative)


def media_response(
    relative: str, content_type: str, *, missing: str, max_age: int | None = None
) -> FileResponse:
    """Stream a file under MEDIA_ROOT; :class:`NotFound` with ``missing`` when it is not there."""
    path = media_path(relative)
    if not relative or not path.is_file():
        raise NotFound(missing)
    response = FileResponse(path.open("rb"), content_type=content_type)
    if max_age is not None:
        response["Cache-Control"] = f"private, max-age={max_age}"
    return response
