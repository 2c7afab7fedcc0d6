"""Decode a DICOM radiograph and render it for display.

The display follows the DICOM grayscale pipeline: stored values -> modality LUT (rescale slope/intercept)
-> VOI LUT or window centre/width from the file (first value) -> presentation (MONOCHROME1 inverted), scaled
to 8 bits. Where the file has no VOI, the window spans the 0.5th to 99.5th percentile of the modality values.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from pydicom.dataset import Dataset
from pydicom.pixels import apply_modality_lut, apply_voi_lut

from readingroom.core.exceptions import InvalidInput

_MAX_TABLE = 1 << 20  # widest value range rendered through a look-up table


def _table_index(raw: np.ndarray, lo: int) -> np.ndarray:
    """``raw - lo`` as unsigned integers (a look-up table's index), without widening unsigned data."""
    if raw.dtype.kind == "u":
        return raw - raw.dtype.type(lo) if lo else raw
    return (raw.astype(np.int32) - lo).astype(np.uint32)


def _weighted_percentiles(values: np.ndarray, counts: np.ndarray | None, q: tuple[float, ...]) -> np.ndarray:
    """``np.percentile`` (linear interpolation) of a sample given as distinct ``values`` with ``counts``
    (``counts`` None: ``values`` is the sample itself)."""
    if counts is None:
        return np.percentile(values, q)
    order = np.argsort(values, kind="stable")
    v, c = values[order], counts[order]
    keep = c > 0
    v, cum = v[keep], np.cumsum(c[keep])
    n = int(cum[-1])
    out = []
    for p in q:
        pos = p / 100.0 * (n - 1)
        k = int(np.floor(pos))
        below = v[np.searchsorted(cum, k, side="right")]
        above = v[np.searchsorted(cum, min(k + 1, n - 1), side="right")]
        out.append(below + (pos - k) * (above - below))
    return np.asarray(out)


@dataclass(frozen=True)
class DecodedImage:
    """Pixels and display parameters of one grayscale radiograph.

    ``stored`` is (rows, columns) uint16; signed sources are shifted into the unsigned range with the
    intercept adjusted, so that ``stored * rescale_slope + rescale_intercept`` gives the modality values.
    The display (windowed, MONOCHROME1 inverted, uint8) is ``display_table[stored]``, the table holding the
    display value of every stored value (65,536 entries), or ``display_pixels`` where no such table exists
    (a source whose values do not fit 16 bits); :attr:`display` gives it as an array.
    """

    stored: np.ndarray
    bits_stored: int
    photometric_interpretation: str
    rescale_slope: float
    rescale_intercept: float
    window_center: float
    window_width: float
    pixel_spacing: tuple[float, float] | None
    display_table: np.ndarray | None = None
    display_pixels: np.ndarray | None = None

    @cached_property
    def display(self) -> np.ndarray:
        """(rows, columns) uint8, ready to show."""
        if self.display_pixels is not None:
            return self.display_pixels
        if self.display_table is None:
            raise ValueError("a decoded image needs a display table or display pixels")
        return np.take(self.display_table, self.stored)


def _first(value: object) -> float:
    """The first of a possibly multi-valued DICOM number."""
    if isinstance(value, str | int | float):
        return float(value)
    return float(value[0])  # type: ignore[index]


def _voi_output_range(ds: Dataset) -> tuple[float, float]:
    """The range of values that :func:`pydicom.pixels.apply_voi_lut` maps the window onto."""
    if "VOILUTSequence" in ds and "WindowCenter" not in ds:
        depth = int(ds.VOILUTSequence[0].LUTDescriptor[2])
        return 0.0, float(2**depth - 1)
    bits = int(ds.BitsStored)
    if int(ds.get("PixelRepresentation", 0)) == 0:
        y_min, y_max = 0.0, float(2**bits - 1)
    else:
        y_min, y_max = float(-(2 ** (bits - 1))), float(2 ** (bits - 1) - 1)
    if "ModalityLUTSequence" not in ds:
        slope = float(ds.get("RescaleSlope", 1.0))
        intercept = float(ds.get("RescaleIntercept", 0.0))
        y_min, y_max = y_min * slope + intercept, y_max * slope + intercept
    return y_min, y_max


def header_window(ds: Dataset) -> tuple[float, float] | None:
    """The window (centre, width, modality units) the header gives, or None where it has no VOI.

    The first window centre/width; else the first VOI LUT sequence's range of mapped values.
    """
    if "WindowCenter" in ds and "WindowWidth" in ds:
        return _first(ds.WindowCenter), _first(ds.WindowWidth)
    if "VOILUTSequence" in ds:
        lut = ds.VOILUTSequence[0]
        first_mapped, entries = int(lut.LUTDescriptor[1]), int(lut.LUTDescriptor[0]) or 65536
        return first_mapped + entries / 2.0, float(entries)
    return None


def stored_rescale(ds: Dataset) -> tuple[int, float, float]:
    """Bits stored, rescale slope and the intercept of the stored (unsigned) values.

    Signed sources are stored shifted by half their range, the intercept adjusted to match.
    """
    bits = int(ds.BitsStored)
    slope = float(ds.get("RescaleSlope", 1.0))
    intercept = float(ds.get("RescaleIntercept", 0.0))
    if int(ds.get("PixelRepresentation", 0)) == 1:
        intercept -= slope * 2 ** (bits - 1)
    return bits, slope, intercept


def pixel_spacing_of(ds: Dataset) -> tuple[float, float] | None:
    spacing = ds.get("PixelSpacing") or ds.get("ImagerPixelSpacing")
    return (float(spacing[0]), float(spacing[1])) if spacing else None


def grayscale_photometric(ds: Dataset, where: str) -> str:
    """The photometric interpretation of a dataset with grayscale pixel data; :class:`InvalidInput` if not."""
    if "PixelData" not in ds:
        raise InvalidInput(f"{where}no pixel data (SOP class {ds.get('SOPClassUID', 'unknown')})")
    photometric = str(ds.get("PhotometricInterpretation", "")).upper()
    if photometric not in {"MONOCHROME1", "MONOCHROME2"}:
        raise InvalidInput(f"{where}photometric interpretation {photometric or 'missing'} is not grayscale")
    return photometric


def decode_radiograph(ds: Dataset, *, source: str = "") -> DecodedImage:
    """Decode the first frame of a grayscale radiograph and render its display image.

    Raises :class:`InvalidInput` naming ``source`` when the dataset has no pixel data, is not grayscale,
    or its transfer syntax cannot be decoded.
    """
    where = f"{source}: " if source else ""
    photometric = grayscale_photometric(ds, where)
    try:
        raw = ds.pixel_array
    except Exception as exc:  # pydicom raises several types for undecodable pixel data
        syntax = getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", "unknown")
        raise InvalidInput(f"{where}cannot decode pixel data (transfer syntax {syntax}): {exc}") from exc
    if raw.ndim == 3:  # multi-frame: the first frame is the radiograph
        raw = raw[0]
    if raw.ndim != 2:
        raise InvalidInput(f"{where}pixel data has shape {raw.shape}, expected a 2-D grayscale image")

    bits, slope, intercept = stored_rescale(ds)
    if int(ds.get("PixelRepresentation", 0)) == 1:
        stored = (raw.astype(np.int32) + 2 ** (bits - 1)).astype(np.uint16)
    else:
        stored = raw.astype(np.uint16, copy=False)  # most sources decode to uint16 already: no copy

    # The pipeline maps each stored value on its own (the percentile window aside), so it is computed once
    # per distinct value in the image's range and applied by table look-up: the same output as mapping every
    # pixel, in a fraction of the time for images of millions of pixels.
    lo, hi = int(raw.min()), int(raw.max())
    tabulated = hi - lo < _MAX_TABLE
    if tabulated:  # the table's index (raw - lo) is made only where it is needed (a full pass)
        values = np.arange(lo, hi + 1, dtype=np.int64).astype(raw.dtype)
    else:  # a sparse range too wide for a table (floating-point-like data): map the pixels themselves
        values = raw.ravel()
    # integers where there is no rescale: what a VOI LUT sequence indexes with
    mapped = apply_modality_lut(values, ds)
    modality = mapped.astype(np.float64)
    window = header_window(ds)
    if window is not None and "WindowCenter" in ds:
        center, width = window
        windowed = apply_voi_lut(modality, ds, index=0, prefer_lut=False)
        y_min, y_max = _voi_output_range(ds)
    elif window is not None:  # a VOI LUT sequence
        center, width = window
        windowed = apply_voi_lut(mapped, ds, index=0)
        y_min, y_max = _voi_output_range(ds)
    else:
        counts = np.bincount(_table_index(raw, lo).ravel(), minlength=values.size) if tabulated else None
        low, high = _weighted_percentiles(modality, counts, (0.5, 99.5))
        width = max(float(high - low), 1.0)
        center = float(low) + width / 2.0
        windowed = np.clip((modality - low) / width, 0.0, 1.0)
        y_min, y_max = 0.0, 1.0
    scaled = (np.asarray(windowed, dtype=np.float64) - y_min) / max(y_max - y_min, 1e-12)
    table = np.rint(np.clip(scaled, 0.0, 1.0) * 255.0).astype(np.uint8)
    if photometric == "MONOCHROME1":
        table = 255 - table
    # The display is kept as a table over the stored values (64 KB) and looked up when it is needed: the
    # import then neither maps nor writes a display image. The stored value of raw value v is v + offset.
    offset = 2 ** (bits - 1) if int(ds.get("PixelRepresentation", 0)) == 1 else 0
    full_table, pixels = None, None
    if tabulated and lo + offset >= 0 and hi + offset < 65536:
        full_table = np.zeros(65536, dtype=np.uint8)
        full_table[lo + offset : hi + offset + 1] = table
    else:
        pixels = np.take(table, _table_index(raw, lo)) if tabulated else table.reshape(raw.shape)

    return DecodedImage(
        stored=np.ascontiguousarray(stored),
        display_table=full_table,
        display_pixels=pixels,
        bits_stored=bits,
        photometric_interpretation=photometric,
        rescale_slope=slope,
        rescale_intercept=intercept,
        window_center=float(center),
        window_width=float(width),
        pixel_spacing=pixel_spacing_of(ds),
    )
