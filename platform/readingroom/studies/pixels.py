"""An image's stored pixels (uint16), its display table and its window: derived when first read.

A DICOM import writes only the de-identified DICOM; its pixels are decoded the first time something needs
them (the pixel download, the display and thumbnail, exports, model inference), and kept beside it: the
uint16 pixel file (``<digest>.u16``, row-major little-endian), the display's look-up table (``<digest>.lut``:
the 8-bit display value of each of the 65,536 stored values; ``<digest>.u8``, the display itself, for a
source whose values do not fit 16 bits) and, where the header had no VOI, the window computed from the
pixels (stored on the image row). Every reader goes through :func:`image_derive` (or the accessors below):
two first reads at once are serialised by a lock on the stored DICOM, and each file appears whole (written
to a temporary file, then renamed). Bitmap imports, and images imported before, have these files already.
"""

from __future__ import annotations

import fcntl
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pydicom

from readingroom.core.exceptions import InvalidInput, NotFound
from readingroom.core.files import media_path, media_write
from readingroom.studies.dicomio.render import DecodedImage, decode_radiograph
from readingroom.studies.models import Image


class PixelsUnreadable(NotFound):
    """The stored DICOM of an image cannot be read or decoded: its pixels are not available (as if missing,
    for the callers that go on without an image's pixels; the message names the image and the cause)."""


def display_raw_name(display_file: str) -> str:
    """Where the raw 8-bit display of an image whose display PNG is ``display_file`` is kept."""
    return str(Path(display_file).with_suffix(".u8"))


def display_table_name(display_file: str) -> str:
    """Where the display look-up table of an image whose display PNG is ``display_file`` is kept."""
    return str(Path(display_file).with_suffix(".lut"))


def write_pixel_files(decoded: DecodedImage, *, pixels_file: str, display_file: str) -> None:
    """Write the stored pixels and the display's table (or raw display) of ``decoded`` under MEDIA_ROOT.

    The display table is written first: a pixel file present means its display is there too.
    """
    if decoded.display_table is not None:  # 64 KB instead of the display image: looked up when first read
        media_write(display_table_name(display_file), decoded.display_table.astype(np.uint8).tobytes())
    else:
        media_write(
            display_raw_name(display_file), memoryview(np.ascontiguousarray(decoded.display)).cast("B")
        )
    # the array's own buffer is written (no bytes copy of the image)
    media_write(pixels_file, memoryview(np.ascontiguousarray(decoded.stored, dtype="<u2")).cast("B"))


def _derived(image: Image) -> bool:
    return (
        image.window_center is not None
        and image.window_width is not None
        and bool(image.pixels_file)
        and media_path(image.pixels_file).is_file()
    )


def _refresh_window(image: Image) -> None:
    row = Image.objects.filter(pk=image.pk).values("window_center", "window_width").first()
    if row is not None:
        image.window_center, image.window_width = row["window_center"], row["window_width"]


def _decode_stored(image: Image, handle: BinaryIO) -> DecodedImage:
    """Decode the stored DICOM open as ``handle``; :class:`PixelsUnreadable` naming the image if it cannot be."""
    try:
        ds = pydicom.dcmread(handle)
        decoded = decode_radiograph(ds, source=f"image {image.pk} ({image.dicom_file})")
    except InvalidInput as exc:
        raise PixelsUnreadable(f"{exc}; re-import the source file") from exc
    except Exception as exc:  # a damaged stored file: pydicom and the decoders raise many types
        raise PixelsUnreadable(
            f"image {image.pk}: its stored DICOM {image.dicom_file} cannot be read or decoded "
            f"({type(exc).__name__}: {exc}); re-import the source file"
        ) from exc
    if decoded.stored.shape != (image.rows, image.columns):
        raise PixelsUnreadable(
            f"image {image.pk}: its stored DICOM decodes to {decoded.stored.shape[0]}x"
            f"{decoded.stored.shape[1]} pixels, its header said {image.rows}x{image.columns}"
        )
    return decoded


def image_derive(image: Image) -> Image:
    """Make ``image``'s pixel file, display table and window from its stored DICOM where they are missing.

    Returns ``image`` with its window filled in. Two callers at once (threads or processes) decode once: the
    second waits on the lock and finds the files. :class:`NotFound` where the pixel file is missing and
    there is no stored DICOM to derive it from; :class:`PixelsUnreadable` (a :class:`NotFound`) naming the
    image and the cause where the stored DICOM cannot be read or decoded (nothing is written then).
    """
    if _derived(image):
        return image
    if not image.dicom_file:
        raise NotFound(f"image {image.pk}: its pixel file is missing")
    try:
        handle = media_path(image.dicom_file).open("rb")
    except FileNotFoundError as exc:
        raise NotFound(
            f"image {image.pk}: its stored DICOM {image.dicom_file} is missing; its pixels cannot be derived"
        ) from exc
    with handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)  # released when the handle is closed
        if image.window_center is None or image.window_width is None:
            _refresh_window(image)  # computed by another caller meanwhile?
        if _derived(image):  # another caller derived it while this one waited
            return image
        decoded = _decode_stored(image, handle)
        write_pixel_files(decoded, pixels_file=image.pixels_file, display_file=image.display_file)
        if image.window_center is None or image.window_width is None:
            image.window_center, image.window_width = decoded.window_center, decoded.window_width
            Image.objects.filter(pk=image.pk).update(
                window_center=image.window_center, window_width=image.window_width
            )
    return image


def image_pixels_path(image: Image) -> Path:
    """The path of ``image``'s uint16 pixel file (rows x columns, little-endian), derived the first time."""
    return media_path(image_derive(image).pixels_file)


def image_pixels(image: Image) -> np.ndarray:
    """``image``'s stored values, uint16 (rows, columns), derived the first time."""
    return np.fromfile(image_pixels_path(image), dtype="<u2").reshape(image.rows, image.columns)


def image_window(image: Image) -> tuple[float, float]:
    """``image``'s window (centre, width; modality units): the header's, or computed from the pixels."""
    if image.window_center is None or image.window_width is None:
        image_derive(image)
    return float(image.window_center), float(image.window_width)  # type: ignore[arg-type]
