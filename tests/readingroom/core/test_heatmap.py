"""Colour-mapping of float maps for display."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from readingroom.core.heatmap import heatmap_png


def _rgba(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)))


def test_alpha_follows_density_from_its_minimum():
    density = np.full((8, 10), 1.0 / 80, dtype=np.float32)
    density[2, 3] *= 1.5  # a nearly flat map with one higher pixel
    rgba = _rgba(heatmap_png(density))
    assert rgba.shape == (8, 10, 4)
    assert rgba[2, 3, 3] == 200 and rgba[0, 0, 3] == 0


def test_flat_map_is_transparent():
    assert _rgba(heatmap_png(np.ones((4, 4))))[..., 3].max() == 0
