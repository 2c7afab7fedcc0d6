"""Colour-mapping of float maps (gaze priors, model attention) into RGBA PNGs for display."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image as PILImage


def heatmap_png(density: np.ndarray) -> bytes:
    """An RGBA PNG of a non-negative (H, W) map: dark red to yellow, alpha rising with density.

    The map is scaled from its minimum to its maximum, so that a nearly flat map (an untrained model's
    attention) still shows where it is higher, rather than a uniform wash.
    """
    low, high = float(density.min()), float(density.max())
    level = (
        np.sqrt((density - low) / (high - low)) if high > low else np.zeros_like(density, dtype=np.float64)
    )
    rgba = np.zeros((*density.shape, 4), dtype=np.uint8)
    rgba[..., 0] = np.clip(255 * (0.4 + 1.2 * level), 0, 255)
    rgba[..., 1] = np.clip(255 * (1.6 * level - 0.4), 0, 255)
    rgba[..., 2] = np.clip(255 * (2.0 * level - 1.6), 0, 255)
    rgba[..., 3] = np.clip(200 * level, 0, 255)
    buf = io.BytesIO()
    PILImage.fromarray(rgba, mode="RGBA").save(buf, format="PNG", compress_level=3)
    return buf.getvalue()


def npy_bytes(array: np.ndarray) -> bytes:
    """The .npy serialisation of an array."""
    buf = io.BytesIO()
    np.save(buf, array)
    return buf.getvalue()
