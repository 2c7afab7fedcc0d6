"""Colour-mapping of float maps (gaze priors, model attention) into RGBA PNGs for display."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image as PILImage


def _palette() -> tuple[bytes, bytes]:
    """The colour map at 256 density levels: RGB palette bytes and the alpha of each entry (tRNS)."""
    level = np.arange(256) / 255.0
    rgba = np.stack([0.4 + 1.2 * level, 1.6 * level - 0.4, 2.0 * level - 1.6, 200 / 255 * level], axis=1)
    rgba = np.rint(np.clip(rgba, 0.0, 1.0) * 255.0).astype(np.uint8)
    return rgba[:, :3].tobytes(), rgba[:, 3].tobytes()


_PALETTE, _ALPHA = _palette()


def heatmap_png(density: np.ndarray) -> bytes:
    """A PNG of a non-negative (H, W) map: dark red to yellow, alpha rising with density.

    The map is scaled from its minimum to its maximum, so that a nearly flat map (an untrained model's
    attention) still shows where it is higher, rather than a uniform wash. The PNG is a palette image of
    256 levels with an alpha per level (one byte per pixel: about 4x faster to encode than RGBA and half the
    size; it reads as RGBA in browsers and with ``convert("RGBA")``).
    """
    low, high = float(density.min()), float(density.max())
    if high > low:
        level = np.sqrt((np.asarray(density, dtype=np.float32) - low) / (high - low))
        index = np.rint(level * 255.0).astype(np.uint8)
    else:
        index = np.zeros(density.shape, dtype=np.uint8)
    image = PILImage.fromarray(index, mode="P")
    image.putpalette(_PALETTE)
    buf = io.BytesIO()
    image.save(buf, format="PNG", compress_level=3, transparency=_ALPHA)
    return buf.getvalue()


def npy_bytes(array: np.ndarray) -> bytes:
    """The .npy serialisation of an array."""
    buf = io.BytesIO()
    np.save(buf, array)
    return buf.getvalue()
