import math

import numpy as np
import pytest

from gaze_capture import GeometryError, ScreenGeometry, View, image_to_screen, map_to_image


def test_pixels_per_degree_at_centre():
    g = ScreenGeometry(1024, 768, 380.0, 300.0, 670.0)
    one_px_deg = math.degrees(2 * math.atan(0.5 * 380.0 / 1024 / 670.0))
    assert g.ppd_x == pytest.approx(1 / one_px_deg)
    assert g.pixels_per_degree == pytest.approx(0.5 * (g.ppd_x + g.ppd_y))
    # a 1-degree displacement at the centre measures 1 degree with the exact angle
    assert float(g.angle_deg(512, 384, 512 + g.ppd_x, 384)) == pytest.approx(1.0, rel=1e-3)


def test_bad_geometry_raises():
    with pytest.raises(GeometryError, match="distance_mm"):
        ScreenGeometry(1920, 1080, 500.0, 300.0, 0.0)
    with pytest.raises(GeometryError, match="screen_rect"):
        View(0.0, (0, 0, 10, 10), (5, 5, 5, 10), (10, 10))


def test_round_trip_under_zoom_and_pan_is_exact():
    rng = np.random.default_rng(1)
    views = []
    for k in range(20):
        zoom = rng.uniform(0.3, 6.0)
        cx, cy = rng.uniform(-200, 2200, 2)
        half_w, half_h = 960 / zoom, 540 / zoom
        region = (cx - half_w, cy - half_h, cx + half_w, cy + half_h)
        views.append(View(k * 100.0, region, (0, 0, 1920, 1080), (2000, 2500), zoom=zoom))
    t = rng.uniform(0, 2000, 5000)
    x = rng.uniform(0, 1920, t.size)
    y = rng.uniform(0, 1080, t.size)
    xi, yi, on, k = map_to_image(x, y, t, views)
    assert (k == np.minimum(t // 100, 19)).all()
    for j, v in enumerate(views):
        sel = k == j
        xs, ys = image_to_screen(xi[sel], yi[sel], v)
        assert np.abs(xs - x[sel]).max() < 0.01 and np.abs(ys - y[sel]).max() < 0.01
    # on_image agrees with the image bounds (the screen rect is full screen here)
    assert (on == ((xi >= 0) & (xi < 2500) & (yi >= 0) & (yi < 2000))).all()


def test_letterbox_and_samples_before_first_view():
    # a 1000x2000 (rows x cols) image letterboxed: region extends above and below the image
    v = View(10.0, (0, -500, 2000, 1500), (0, 0, 1000, 1000), (1000, 2000), window_width=400, window_level=40)
    xi, yi, on, k = map_to_image([500, 500, 500, 500], [100, 400, 900, 400], [11, 11, 11, 9.99], [v])
    assert xi[:3].tolist() == [1000.0, 1000.0, 1000.0]
    assert yi[:3].tolist() == [-300.0, 300.0, 1300.0]
    assert on.tolist() == [False, True, False, False]
    assert k.tolist() == [0, 0, 0, -1]
    assert np.isnan(xi[3]) and np.isnan(yi[3])


def test_latest_view_wins_and_unsorted_views_raise():
    a = View(0.0, (0, 0, 100, 100), (0, 0, 100, 100), (100, 100))
    b = View(50.0, (50, 50, 100, 100), (0, 0, 100, 100), (100, 100), zoom=2.0)
    xi, yi, _, k = map_to_image([20, 20], [20, 20], [49.0, 50.0], [a, b])
    assert k.tolist() == [0, 1] and xi.tolist() == [20.0, 60.0]
    with pytest.raises(GeometryError, match="sorted"):
        map_to_image([0], [0], [0], [b, a])


def test_screen_rect_offset_only_maps_inside_rect():
    # image drawn in a 500x500 box at (100, 50): a sample left of the box is off-image
    v = View(0.0, (0, 0, 1000, 1000), (100, 50, 600, 550), (1000, 1000))
    xi, yi, on, _ = map_to_image([99.0, 100.0, 350.0], [300.0, 50.0, 300.0], [1, 1, 1], [v])
    assert on.tolist() == [False, True, True]
    assert (xi[1], yi[1]) == (0.0, 0.0) and (xi[2], yi[2]) == (500.0, 500.0)


def test_map_samples_marks_off_image_and_before_view_invalid():
    from gaze_capture import Samples, map_samples

    v = View(10.0, (0, 0, 100, 100), (0, 0, 200, 200), (100, 100))
    s = Samples.from_arrays([5, 20, 30, 40], [50, 50, 250, np.nan], [50, 100, 50, 10], pupil=[1, 2, 3, 4])
    m, on, k = map_samples(s, [v])
    assert m.valid.tolist() == [False, True, False, False]
    assert (m.x[1], m.y[1]) == (25.0, 50.0) and np.isnan(m.x[0]) and m.pupil.tolist() == [1, 2, 3, 4]
    assert k.tolist() == [-1, 0, 0, 0] and on.tolist() == [False, True, False, False]
