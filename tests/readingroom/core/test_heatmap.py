"""Colour-mapping of float maps for display."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from readingroom.core.heatmap import heatmap_png


def _rgba(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGBA"))


def test_alpha_follows_density_from_its_minimum():
    density = np.full((8, 10), 1.0 / 80, dtype=np.float32)
    density[2, 3] *= 1.5  # a nearly flat map with one higher pixel
    rgba = _rgba(heatmap_png(density))
    assert rgba.shape == (8, 10, 4)
    assert rgba[2, 3, 3] == 200 and rgba[0, 0, 3] == 0


def test_flat_map_is_transparent():
    assert _rgba(heatmap_png(np.ones((4, 4))))[..., 3].max() == 0


def test_colours_follow_the_square_root_of_the_scaled_density():
    density = np.linspace(0.0, 1.0, 101, dtype=np.float64).reshape(1, 101)
    rgba = _rgba(heatmap_png(density)).astype(int)
    level = np.sqrt(density[0])
    expected = np.stack([0.4 + 1.2 * level, 1.6 * level - 0.4, 2.0 * level - 1.6, 200 / 255 * level], axis=1)
    expected = np.clip(expected, 0.0, 1.0) * 255.0
    assert np.abs(rgba[0] - expected).max() <= 2.0  # 256 levels: within two units of the exact colour
    assert rgba[0, 0, 3] == 0 and rgba[0, -1, 3] == 200
