"""Regions of a case for the gaze measures: the lung fields and the finding regions.

A finding region comes from the labels' boxes or masks where a dataset has them; the platform's curated
labels carry none today, so every finding region is the model's attention map thresholded at its top
fraction, named ``attention_top<percent>`` in the output so that nobody mistakes it for an annotation.

The lung fields are approximated by two ellipses placed at fixed fractions of the image (a frontal chest
radiograph, patient centred), named ``lung_fields_approx``: the platform holds no lung segmentation.
"""

from __future__ import annotations

import numpy as np

from gaze_capture.metrics import ROI

ATTENTION_TOP_FRACTION = 0.1
LUNG_FIELDS = "lung_fields_approx"
# (cx, cy, rx, ry) of each lung as fractions of the image width and height
_LUNGS = ((0.32, 0.47, 0.15, 0.27), (0.68, 0.47, 0.15, 0.27))


def attention_region_name(top_fraction: float = ATTENTION_TOP_FRACTION) -> str:
    return f"attention_top{round(top_fraction * 100):d}"


def attention_region(attention: np.ndarray, image_shape: tuple[int, int], *,
                     top_fraction: float = ATTENTION_TOP_FRACTION) -> ROI:  # fmt: skip
    """The pixels of the image whose attention is in the top ``top_fraction`` (nearest-cell upsampling).

    >>> a = np.array([[0.0, 0.1], [0.2, 0.9]])
    >>> attention_region(a, (4, 4), top_fraction=0.25).mask.astype(int).tolist()
    [[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 1, 1], [0, 0, 1, 1]]
    """
    a = np.asarray(attention, dtype=np.float64)
    if a.ndim != 2 or a.size == 0:
        raise ValueError(f"attention map must be a non-empty 2-D array, got shape {a.shape}")
    if not 0 < top_fraction <= 1:
        raise ValueError(f"top_fraction must be within (0, 1], got {top_fraction}")
    h, w = int(image_shape[0]), int(image_shape[1])
    rows = np.minimum((np.arange(h) * a.shape[0]) // h, a.shape[0] - 1)
    cols = np.minimum((np.arange(w) * a.shape[1]) // w, a.shape[1] - 1)
    up = a[np.ix_(rows, cols)]
    finite = up[np.isfinite(up)]
    if finite.size == 0:
        raise ValueError("attention map has no finite value")
    cut = np.quantile(finite, 1.0 - top_fraction)
    return ROI(attention_region_name(top_fraction), mask=np.isfinite(up) & (up >= cut))


def lung_fields(image_shape: tuple[int, int]) -> ROI:
    """The approximate lung fields of a frontal radiograph of ``image_shape`` (H, W), as one mask."""
    h, w = int(image_shape[0]), int(image_shape[1])
    yy, xx = np.mgrid[0:h, 0:w]
    mask = np.zeros((h, w), dtype=bool)
    for cx, cy, rx, ry in _LUNGS:
        mask |= ((xx + 0.5 - cx * w) / (rx * w)) ** 2 + ((yy + 0.5 - cy * h) / (ry * h)) ** 2 <= 1.0
    return ROI(LUNG_FIELDS, mask=mask)
