"""Display derivatives of an image, encoded when first asked for.

An import writes the display's look-up table (``<digest>.lut``: the 8-bit display value of each of the
65,536 stored values, 64 KB) beside the uint16 pixels; the display is ``table[pixels]``. The PNG of the
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

THUMBNAIL_SIZE = 256


def png_bytes(pixels: np.ndarray, *, size: int | None = None) -> bytes:
    """An 8-bit grayscale image as PNG (``size``: fit into a square of that many pixels)."""
    img = PILImage.fromarray(pixels, mode="L")
    if size is not None:
        img.thumbnail((size, size), PILImage.Resampling.LANCZOS)
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=False, compress_level=1)  # level 1: faster, files a few % larger
    return buf.getvalue()


def display_raw_name(display_file: str) -> str:
    """Where the raw 8-bit display of an image whose display PNG is ``display_file`` is kept."""
    return str(Path(display_file).with_suffix(".u8"))


def display_table_name(display_file: str) -> str:
    """Where the display look-up table of an image whose display PNG is ``display_file`` is kept."""
    return str(Path(display_file).with_suffix(".lut"))


def image_display_array(image: Image) -> np.ndarray:
    """The display rendering (uint8, rows x columns: windowed, MONOCHROME1 inverted)."""
    table = media_path(display_table_name(image.display_file)) if image.display_file else None
    if (
        table is not None
        and table.is_file()
        and image.pixels_file
        and media_path(image.pixels_file).is_file()
    ):
        lut = np.fromfile(table, dtype=np.uint8)
        stored = np.fromfile(media_path(image.pixels_file), dtype="<u2").reshape(image.rows, image.columns)
        if lut.size == 65536:
            return np.take(lut, stored)
    raw = media_path(display_raw_name(image.display_file)) if image.display_file else None
    if raw is not None and raw.is_file():
        return np.fromfile(raw, dtype=np.uint8).reshape(image.rows, image.columns)
    png = media_path(image.display_file) if image.display_file else None
    if png is None or not png.is_file():
        raise NotFound(f"image {image.pk}: its display rendering is missing")
    with PILImage.open(png) as opened:
        return np.asarray(opened.convert("L"))


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
