"""Rendering by look-up table gives exactly what mapping every pixel through the grayscale pipeline gives."""

from __future__ import annotations

import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset
from pydicom.pixels import apply_modality_lut, apply_voi_lut

from readingroom.studies.dicomio.render import _voi_output_range, decode_radiograph
from tests.conftest import rg1_uncr


def _per_pixel(ds: Dataset) -> tuple[np.ndarray, float, float]:
    """The display image computed pixel by pixel (the reference): modality LUT, VOI, presentation."""
    raw = ds.pixel_array
    mapped = apply_modality_lut(raw, ds)
    modality = mapped.astype(np.float64)
    if "WindowCenter" in ds:
        windowed, (y_min, y_max) = (
            apply_voi_lut(modality, ds, index=0, prefer_lut=False),
            _voi_output_range(ds),
        )
        center, width = float(ds.WindowCenter), float(ds.WindowWidth)
    elif "VOILUTSequence" in ds:
        windowed, (y_min, y_max) = apply_voi_lut(mapped, ds, index=0), _voi_output_range(ds)
        center = width = None
    else:
        low, high = np.percentile(modality, [0.5, 99.5])
        width = max(float(high - low), 1.0)
        center = float(low) + width / 2.0
        windowed, y_min, y_max = np.clip((modality - low) / width, 0.0, 1.0), 0.0, 1.0
    display = np.rint(np.clip((windowed - y_min) / max(y_max - y_min, 1e-12), 0, 1) * 255).astype(np.uint8)
    if ds.PhotometricInterpretation == "MONOCHROME1":
        display = 255 - display
    return display, center, width


def _dataset(pixels: np.ndarray, *, bits: int, signed: bool = False, photometric: str = "MONOCHROME2",
             **attrs) -> Dataset:  # fmt: skip
    ds = Dataset()
    ds.file_meta = pydicom.dataset.FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = pydicom.uid.ExplicitVRLittleEndian
    ds.Rows, ds.Columns = pixels.shape
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, photometric
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = 16, bits, bits - 1
    ds.PixelRepresentation = int(signed)
    ds.PixelData = pixels.astype("<i2" if signed else "<u2").tobytes()
    for key, value in attrs.items():
        setattr(ds, key, value)
    return ds


def _voi_lut_sequence(entries: int, first: int, depth: int = 12) -> list[Dataset]:
    item = Dataset()
    item.LUTDescriptor = [entries, first, depth]
    item.LUTData = list(np.linspace(0, 2**depth - 1, entries).astype(int))
    return [item]


rng = np.random.default_rng(3)
CASES = {
    "window, unsigned 12 bits": _dataset(
        rng.integers(0, 4096, (60, 50)), bits=12, WindowCenter=1800, WindowWidth=900
    ),  # fmt: skip
    "window, signed with rescale": _dataset(
        rng.integers(-2048, 2048, (40, 30)),
        bits=12,
        signed=True,
        RescaleSlope=2,
        RescaleIntercept=-100,
        WindowCenter=40,
        WindowWidth=400,
    ),  # fmt: skip
    "VOI LUT sequence, MONOCHROME1": _dataset(
        rng.integers(100, 3000, (50, 40)),
        bits=12,
        photometric="MONOCHROME1",
        VOILUTSequence=_voi_lut_sequence(2048, 500),
    ),  # fmt: skip
    "no window: percentiles, signed": _dataset(rng.integers(-500, 900, (70, 33)), bits=12, signed=True),
    "no window: percentiles, few values": _dataset(rng.choice([3, 4, 900], (20, 20)), bits=12),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_table_rendering_equals_per_pixel_rendering(name):
    ds = CASES[name]
    expected, center, width = _per_pixel(ds)
    decoded = decode_radiograph(ds)
    assert np.array_equal(decoded.display, expected)
    if center is not None:
        assert (decoded.window_center, decoded.window_width) == pytest.approx((center, width))


def test_real_radiograph_table_rendering_equals_per_pixel_rendering():
    ds = pydicom.dcmread(rg1_uncr())
    expected, *_ = _per_pixel(ds)
    assert np.array_equal(decode_radiograph(ds).display, expected)
