"""End to end as the platform uses it: samples -> fixations -> image pixels -> prior -> patch grid."""

import numpy as np

from gaze_capture import (
    ScreenGeometry,
    View,
    detect,
    fixation_prior,
    map_fixations,
    map_to_image,
    pool_prior,
    sentence_priors,
    sigma_image_px,
)
from gaze_capture.metrics import ROI, roi_metrics
from gaze_capture.simulate import ReaderConfig, simulate_reading


def test_simulated_reading_gives_a_prior_on_the_region_of_interest():
    g = ScreenGeometry(1920, 1080, 530.0, 300.0, 650.0)
    view = View(
        0.0, (0, 0, 2000, 2000), (420, 0, 1500, 1080), (2000, 2000), window_width=400, window_level=40
    )
    roi = ROI("right upper lobe", box=(1200, 300, 1600, 700))
    sim = simulate_reading(20000, view=view, geometry=g, rois=[roi], config=ReaderConfig(roi_probability=0.8))
    fx = detect("adaptive", sim.samples, pixels_per_degree=g.pixels_per_degree)
    xi, yi, on, _ = map_to_image(fx.x, fx.y, fx.onset_ms, [view])
    assert on.mean() > 0.9
    prior = fixation_prior(
        xi,
        yi,
        fx.duration_ms,
        image_shape=(2000, 2000),
        sigma_px=sigma_image_px(g.pixels_per_degree, view),
        region=view.visible_region(),
    )
    grid = pool_prior(prior, (37, 37), resize_to=518)
    r, c = np.unravel_index(grid.argmax(), grid.shape)
    # the hottest patch lies on the region (patches are 2000/37 = 54 image pixels)
    assert 1200 - 54 <= (c + 0.5) * 2000 / 37 <= 1600 + 54 and 300 - 54 <= (r + 0.5) * 2000 / 37 <= 700 + 54
    assert grid[5:14, 22:30].sum() > 0.5
    fx_img, on2, _ = map_fixations(fx, [view])
    assert (on2 == on).all() and np.allclose(fx_img.x, xi, equal_nan=True)
    fx_img = fx_img.mask(on)
    m = roi_metrics(fx_img, [roi])
    assert m["right upper lobe"].dwell_ms > 0.5 * fx.duration_ms[on].sum()
    halves = sentence_priors(
        xi,
        yi,
        fx.onset_ms,
        fx.offset_ms,
        [(0, 10000), (10000, 20000)],
        image_shape=(2000, 2000),
        sigma_px=40.0,
    )
    assert all(h is not None and abs(float(h.sum()) - 1) < 1e-4 for h in halves)
