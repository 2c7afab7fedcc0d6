import numpy as np
import pytest

from gaze_capture import (
    EmptyInputError,
    ParameterError,
    View,
    aggregate_priors,
    fixation_prior,
    pool_prior,
    sentence_priors,
)
from gaze_capture.priors import sigma_image_px


def brute_prior(x, y, d, shape, sigma):
    rr, cc = np.mgrid[0 : shape[0], 0 : shape[1]] + 0.5
    acc = sum(
        w * np.exp(-((cc - a) ** 2 + (rr - b) ** 2) / (2 * sigma**2))
        for a, b, w in zip(x, y, d, strict=False)
    )
    return acc / acc.sum()


def test_prior_matches_direct_sum_of_gaussians():
    x, y, d = [10.0, 60.0, 30.5], [20.0, 5.0, 33.0], [200.0, 600.0, 100.0]
    p = fixation_prior(x, y, d, image_shape=(40, 80), sigma_px=6.0)
    assert p.dtype == np.float32 and p.shape == (40, 80)
    assert float(p.sum()) == pytest.approx(1.0, abs=1e-5)
    assert np.allclose(p, brute_prior(x, y, d, (40, 80), 6.0), atol=1e-6)


def test_prior_is_limited_to_region_and_ignores_outside_fixations():
    p = fixation_prior(
        [10, 70, 500],
        [10, 30, 10],
        [100, 100, 100],
        image_shape=(40, 80),
        sigma_px=8.0,
        region=(40, 0, 80, 40),
    )
    assert p[:, :40].sum() == 0
    assert float(p.sum()) == pytest.approx(1.0, abs=1e-5)
    assert np.unravel_index(p.argmax(), p.shape) == (29, 69)


def test_prior_empty_and_outside_raise():
    with pytest.raises(EmptyInputError):
        fixation_prior([], [], [], image_shape=(10, 10), sigma_px=2)
    with pytest.raises(EmptyInputError, match="lies in region"):
        fixation_prior([5.0], [5.0], [100.0], image_shape=(10, 10), sigma_px=2, region=(6, 6, 10, 10))
    with pytest.raises(EmptyInputError):
        fixation_prior([np.nan], [5.0], [100.0], image_shape=(10, 10), sigma_px=2)


def test_duration_weighting():
    p = fixation_prior([20, 60], [20, 20], [300, 100], image_shape=(40, 80), sigma_px=4.0)
    assert p[19, 19] == pytest.approx(3 * p[19, 59], rel=1e-4)


def test_pool_prior_equals_block_sums_and_follows_center_crop():
    rng = np.random.default_rng(0)
    p = rng.random((74, 111)).astype(np.float32)
    p /= p.sum()
    pooled = pool_prior(p, (2, 3))
    blocks = p.reshape(2, 37, 3, 37).sum(axis=(1, 3))
    assert np.allclose(pooled, blocks / blocks.sum(), atol=1e-6)
    # centre crop of a wide image keeps the central 74x74 square (x in [18.5, 92.5): half pixels at the edges)
    crop = pool_prior(p, (2, 2), center_crop=True, resize_to=518)
    assert crop.shape == (2, 2) and float(crop.sum()) == pytest.approx(1.0, abs=1e-6)

    def cell(r0, r1, c0, c1):
        return p[r0:r1, c0 + 1 : c1].sum() + 0.5 * (p[r0:r1, c0].sum() + p[r0:r1, c1].sum())

    expected = np.array(
        [[cell(0, 37, 18, 55), cell(0, 37, 55, 92)], [cell(37, 74, 18, 55), cell(37, 74, 55, 92)]]
    )
    assert np.allclose(crop, expected / expected.sum(), rtol=1e-4)
    even = rng.random((74, 112)).astype(np.float32)
    blocks = even[:, 19:93].reshape(2, 37, 2, 37).sum(axis=(1, 3))
    assert np.allclose(pool_prior(even, (2, 2), center_crop=True), blocks / blocks.sum(), atol=1e-6)


def test_pool_prior_errors():
    z = np.zeros((10, 20), np.float32)
    z[0, 0] = 1
    with pytest.raises(EmptyInputError):
        pool_prior(z, (2, 2), center_crop=True)
    with pytest.raises(Exception, match="divide"):
        pool_prior(np.ones((10, 10)), (37, 37), resize_to=500)


def test_sentence_priors_weight_by_overlap():
    on, off = [0, 1000, 2000], [500, 1500, 2500]
    ps = sentence_priors(
        [10, 50, 70],
        [10, 10, 10],
        on,
        off,
        [(0, 600), (1200, 2100), (5000, 6000)],
        image_shape=(20, 80),
        sigma_px=3.0,
    )
    assert ps[2] is None
    assert np.unravel_index(ps[0].argmax(), ps[0].shape) == (9, 9)
    # span 2 overlaps fixation 2 by 300 ms and fixation 3 by 100 ms
    assert ps[1][9, 49] == pytest.approx(3 * ps[1][9, 69], rel=1e-3)


def test_aggregate_and_sigma_conversion():
    a = np.zeros((4, 4))
    a[0, 0] = 2
    b = np.zeros((4, 4))
    b[3, 3] = 1
    m = aggregate_priors([a, b])
    assert m[0, 0] == pytest.approx(0.5) and m[3, 3] == pytest.approx(0.5)
    v = View(0, (0, 0, 2000, 2000), (0, 0, 1000, 1000), (2000, 2000))
    assert sigma_image_px(40.0, v) == pytest.approx(80.0)


def test_pool_prior_letterbox_padding():
    p = np.zeros((74, 38), np.float32)
    p[:, :19] = 1.0  # left half of a tall image
    grid = pool_prior(p, (2, 2), pad_to_square=True)
    # padded square spans x in [-18, 56): the left cells cover image columns 0..18 exactly
    assert np.allclose(grid, [[0.5, 0.0], [0.5, 0.0]], atol=1e-6)
    with pytest.raises(Exception, match="exclude"):
        pool_prior(p, (2, 2), pad_to_square=True, center_crop=True)


def test_downsampled_prior_holds_the_gaussians_at_block_centres_and_pools_like_the_full_one():
    from gaze_capture import prior_downsample

    rng = np.random.default_rng(0)
    h = w = 2000
    x, y = rng.uniform(0, w, 200), rng.uniform(0, h, 200)
    d = rng.lognormal(np.log(250), 0.45, 200)
    f = prior_downsample((h, w))
    assert f == 4
    small = fixation_prior(x, y, d, image_shape=(h, w), sigma_px=45.0, downsample=f)
    assert small.shape == (500, 500) and float(small.sum()) == pytest.approx(1.0, abs=1e-5)
    # block (i, j) holds the Gaussians' value at image point ((j + 0.5) f, (i + 0.5) f)
    assert np.allclose(small, brute_prior(x / f, y / f, d, (500, 500), 45.0 / f), atol=1e-7)
    full = fixation_prior(x, y, d, image_shape=(h, w), sigma_px=45.0)
    for kw in ({}, {"center_crop": True}):
        a, b = pool_prior(full, (37, 37), **kw), pool_prior(small, (37, 37), **kw)
        assert np.abs(a - b).sum() < 0.01


def test_downsampled_prior_keeps_the_region_and_rejects_bad_factors():
    p = fixation_prior(
        [10, 70],
        [10, 30],
        [100, 100],
        image_shape=(40, 80),
        sigma_px=8.0,
        region=(40, 0, 80, 40),
        downsample=4,
    )
    assert p.shape == (10, 20) and p[:, :10].sum() == 0 and p[:, 10:].sum() == pytest.approx(1.0, abs=1e-5)
    for bad in (0, 2.5, True):
        with pytest.raises(ParameterError, match="downsample"):
            fixation_prior([1.0], [1.0], [1.0], image_shape=(8, 8), sigma_px=1.0, downsample=bad)
