"""Display derivatives of an image, encoded when first asked for.

The display is ``table[pixels]``: the display's look-up table (``<digest>.lut``: the 8-bit display value of
each of the 65,536 stored values, 64 KB) over the uint16 pixels, both derived from the stored DICOM when
first read (:mod:`readingroom.studies.pixels`). The PNG of the
display and its thumbnail, whose encoding costs far more than the import's other steps together (about
250 ms for a 1955x1841 radiograph), are made from it the first time something reads them, then kept.
Images imported earlier have the display as raw bytes (``<digest>.u8``, rows x columns) or their PNGs.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image as PILImage

from readingroom.core.exceptions import NotFound
from readingroom.core.files import media_path, media_write
from readingroom.studies.models import Image
from readingroom.studies.pixels import display_raw_name, display_table_name, image_pixels

__all__ = [
    "display_raw_name",
    "display_table_name",
    "image_display_array",
    "image_display_png",
    "image_thumbnail_png",
    "png_bytes",
]

THUMBNAIL_SIZE = 256


def png_bytes(pixels: np.ndarray, *, size: int | None = None) -> bytes:
    """An 8-bit grayscale image as PNG (``size``: fit into a square of that many pixels)."""
    img = PILImage.fromarray(pixels, mode="L")
    if size is not None:
        img.thumbnail((size, size), PILImage.Resampling.LANCZOS)
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=False, compress_level=1)  # level 1: faster, files a few % larger
    return buf.getvalue()


def image_display_array(image: Image) -> np.ndarray:
    """The display rendering (uint8, rows x columns: windowed, MONOCHROME1 inverted).

    From the look-up table over the stored pixels (both derived from the stored DICOM the first time,
    :func:`.pixels.image_derive`); images imported before may have the raw display or only its PNG.
    """
    legacy = _legacy_display(image)
    if legacy is not None:
        return legacy
    stored = image_pixels(image)
    table = media_path(display_table_name(image.display_file))
    if table.is_file():
        lut = np.fromfile(table, dtype=np.uint8)
        if lut.size == 65536:
            return np.take(lut, stored)
    raw = media_path(display_raw_name(image.display_file))
    if raw.is_file():
        return np.fromfile(raw, dtype=np.uint8).reshape(image.rows, image.columns)
    raise NotFound(f"image {image.pk}: its display rendering is missing")


def _legacy_display(image: Image) -> np.ndarray | None:
    """The display of an image imported with a raw display (``.u8``) or only its PNG; None otherwise."""
    if not image.display_file or media_path(display_table_name(image.display_file)).is_file():
        return None
    raw = media_path(display_raw_name(image.display_file))
    if raw.is_file():
        return np.fromfile(raw, dtype=np.uint8).reshape(image.rows, image.columns)
    png = media_path(image.display_file)
    if png.is_file():
        with PILImage.open(png) as opened:
            return np.asarray(opened.convert("L"))
    return None


def _ensure(relative: str, image: Image, *, size: int | None) -> Path:
    path = media_path(relative)
    if not path.is_file():
        media_write(relative, png_bytes(image_display_array(image), size=size))
    return path


def image_display_png(image: Image) -> Path:
    """The display PNG's path, encoding it from the raw display the first time."""
    return _ensure(image.display_file, image, size=None)


def image_thumbnail_png(image: Image) -> Path:
    """The thumbnail PNG's path (at most :data:`THUMBNAIL_SIZE` pixels a side), made the first time."""
    return _ensure(image.thumbnail_file, image, size=THUMBNAIL_SIZE)
