"""Exact values of the geometry's visual angle and view scale, against independent computations.

Added for the mutants that survived the geometry tests (tests/README.md, "Mutation testing"): the angle
between two points off the screen's centre in both axes on a screen with non-square pixels, and the scale
of a view whose screen rectangle does not start at zero.
"""

from __future__ import annotations

import numpy as np
import pytest

from gaze_capture.geometry import ScreenGeometry, View


def _angle_by_vectors(screen: ScreenGeometry, p: tuple[float, float], q: tuple[float, float]) -> float:
    """The angle at the eye (on the axis through the screen centre) between the 3-D rays to p and q."""
    sx, sy = screen.width_mm / screen.width_px, screen.height_mm / screen.height_px

    def ray(x: float, y: float) -> np.ndarray:
        return np.array([(x - screen.width_px / 2) * sx, (y - screen.height_px / 2) * sy, screen.distance_mm])

    a, b = ray(*p), ray(*q)
    cos = float(a @ b) / float(np.linalg.norm(a) * np.linalg.norm(b))
    return float(np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))))


@pytest.mark.parametrize(
    ("p", "q"),
    [((100.0, 50.0), (1800.0, 1000.0)), ((960.0, 100.0), (960.0, 900.0)), ((50.0, 1030.0), (1870.0, 60.0)),
     ((300.0, 200.0), (320.0, 700.0))],
)  # fmt: skip
def test_the_angle_equals_the_angle_between_the_rays_with_non_square_pixels(p, q):
    screen = ScreenGeometry(width_px=1920, height_px=1080, width_mm=530.0, height_mm=350.0, distance_mm=600.0)
    assert screen.angle_deg(*p, *q) == pytest.approx(_angle_by_vectors(screen, p, q), rel=1e-9, abs=1e-9)


def test_the_scale_of_a_view_whose_screen_rectangle_is_offset():
    view = View(t_ms=0.0, image_region=(10.0, 20.0, 310.0, 820.0), screen_rect=(100.0, 100.0, 400.0, 500.0),
                image_shape=(1000, 1000))  # fmt: skip
    assert view.scale == (300.0 / 300.0, 800.0 / 400.0)
