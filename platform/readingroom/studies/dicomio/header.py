"""What an import needs of a DICOM radiograph, from its header alone, and a cheap check of its pixel data.

An import does not decode the pixels: the uint16 pixel file and the display table are derived from the
stored (de-identified) DICOM the first time something reads them (:mod:`readingroom.studies.pixels`). At
import the file is checked as far as that can be done without decoding: grayscale pixel data, a transfer
syntax whose decoder is installed, native pixel data as long as the header says, encapsulated pixel data
whose first frame starts like its codec's stream. A stream that is damaged further in is found when the
pixels are first derived, and reported there naming the image.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydicom.dataset import Dataset
from pydicom.encaps import get_frame
from pydicom.pixels import get_decoder
from pydicom.uid import UID

from readingroom.core.exceptions import InvalidInput
from readingroom.studies.dicomio.render import (
    grayscale_photometric,
    header_window,
    pixel_spacing_of,
    stored_rescale,
)

# the first bytes of one frame of each family of encapsulated syntaxes (JPEG SOI; JPEG 2000 SOC or JP2 box)
_JPEG_SOI = (b"\xff\xd8",)
_J2K_START = (b"\xff\x4f\xff\x51", b"\x00\x00\x00\x0cjP  ")


@dataclass(frozen=True)
class RadiographHeader:
    """The image fields of a radiograph as its header gives them (see :class:`.render.DecodedImage`).

    ``window`` is None where the header has no VOI: the window is then computed from the pixels when they
    are first derived.
    """

    rows: int
    columns: int
    bits_stored: int
    photometric_interpretation: str
    rescale_slope: float
    rescale_intercept: float
    window: tuple[float, float] | None
    pixel_spacing: tuple[float, float] | None


def _frames(ds: Dataset) -> int:
    return max(1, int(ds.get("NumberOfFrames") or 1))


def _first_frame_starts(syntax: UID) -> tuple[bytes, ...]:
    if syntax.keyword.startswith("JPEG2000") or syntax.keyword.startswith("HTJ2K"):
        return _J2K_START
    if syntax.keyword.startswith("JPEG"):  # baseline, extended, lossless, JPEG-LS
        return _JPEG_SOI
    return ()


def _check_pixel_data(ds: Dataset, syntax: UID, *, where: str) -> None:
    """:class:`InvalidInput` where the pixel data visibly cannot be decoded (no decoding is done)."""
    try:
        available = get_decoder(syntax).is_available
    except NotImplementedError:
        available = False
    if not available:
        raise InvalidInput(
            f"{where}cannot decode pixel data (transfer syntax {syntax}): no decoder installed"
        )
    frames = _frames(ds)
    if not syntax.is_compressed:
        expected = int(ds.Rows) * int(ds.Columns) * frames * (int(ds.BitsAllocated) // 8)
        if len(ds.PixelData) < expected:
            raise InvalidInput(
                f"{where}cannot decode pixel data (transfer syntax {syntax}): {len(ds.PixelData)} bytes, "
                f"the header's {ds.Rows}x{ds.Columns}x{frames} pixels need {expected}"
            )
        return
    try:
        first = get_frame(ds.PixelData, 0, number_of_frames=frames)
    except Exception as exc:  # pydicom raises several types for malformed encapsulation
        raise InvalidInput(
            f"{where}cannot decode pixel data (transfer syntax {syntax}): malformed encapsulation ({exc})"
        ) from exc
    starts = _first_frame_starts(syntax)
    if not first or (starts and not first.startswith(starts)):
        raise InvalidInput(
            f"{where}cannot decode pixel data (transfer syntax {syntax}): the first frame is not a "
            f"{syntax.name} stream"
        )


def radiograph_header(ds: Dataset, *, source: str = "") -> RadiographHeader | None:
    """The header's image fields of a grayscale radiograph whose pixel data passes a cheap check.

    Raises :class:`InvalidInput` naming ``source`` where the dataset has no pixel data, is not grayscale or
    one sample per pixel, or its pixel data visibly cannot be decoded. Returns None where the header alone
    cannot vouch for the pixels (no transfer syntax, a bit depth other than 8 or 16 allocated, more than 16
    stored): the caller then decodes them (:func:`.render.decode_radiograph`) at import.
    """
    where = f"{source}: " if source else ""
    photometric = grayscale_photometric(ds, where)
    if int(ds.get("SamplesPerPixel", 1)) != 1:
        raise InvalidInput(f"{where}{ds.SamplesPerPixel} samples per pixel; a radiograph has one")
    syntax = getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", None)
    if (
        syntax is None
        or int(ds.get("BitsAllocated", 0)) not in {8, 16}
        or not 1 <= int(ds.get("BitsStored", 0)) <= 16
        or not int(ds.get("Rows", 0))
        or not int(ds.get("Columns", 0))
    ):
        return None
    _check_pixel_data(ds, UID(syntax), where=where)
    bits, slope, intercept = stored_rescale(ds)
    return RadiographHeader(
        rows=int(ds.Rows),
        columns=int(ds.Columns),
        bits_stored=bits,
        photometric_interpretation=photometric,
        rescale_slope=slope,
        rescale_intercept=intercept,
        window=header_window(ds),
        pixel_spacing=pixel_spacing_of(ds),
    )
