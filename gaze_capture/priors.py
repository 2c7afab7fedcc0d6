"""Gaze priors: duration-weighted Gaussian maps, per report and per sentence, pooled to patch grids.

Image coordinates follow :mod:`gaze_capture.geometry` (corner origin; pixel centres at ``c + 0.5``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .errors import EmptyInputError, GeometryError, InvalidSamplesError, ParameterError
from .geometry import View

__all__ = [
    "PRIOR_MAX_SIDE",
    "prior_downsample",
    "fixation_prior",
    "pool_prior",
    "sentence_priors",
    "aggregate_priors",
    "sigma_image_px",
]

F32 = NDArray[np.float32]

# The longest side at which a prior is worth storing. The model sees the image resized to 518 px (a ViT-B/14
# at 518 px) and pools the prior to its 37 x 37 patch grid, so detail finer than 1/518 of the image reaches
# neither the model's input nor its patches; a 1-degree Gaussian (about 45 px on a 2000 px radiograph read
# at fit-to-screen) still spans about 12 stored pixels, and the display heatmap is upsampled by the viewer
# anyway. A 2000 x 2000 prior stored at 500 x 500 is 16x smaller (1 MB instead of 16 MB as float32) and
# 5-10x faster to build, and its 37 x 37 pooling differs from the full-resolution one by under 1% (L1).
PRIOR_MAX_SIDE = 518


def prior_downsample(image_shape: Sequence[int], *, max_side: int = PRIOR_MAX_SIDE) -> int:
    """The whole-number factor that brings the image's longer side to at most ``max_side`` pixels.

    Examples
    --------
    >>> prior_downsample((2000, 2000)), prior_downsample((3000, 2500)), prior_downsample((512, 400))
    (4, 6, 1)
    """
    h, w = _shape(image_shape)
    if int(max_side) <= 0:
        raise ParameterError(f"max_side must be > 0, got {max_side!r}")
    return max(1, -(-max(h, w) // int(max_side)))


def sigma_image_px(pixels_per_degree: float, view: View, degrees: float = 1.0) -> float:
    """``degrees`` of visual angle expressed in image pixels under ``view``.

    Parameters
    ----------
    pixels_per_degree : float
        Screen pixels per degree.
    view : View
        The view in force (its scale converts screen to image pixels).
    degrees : float
        Angle to convert (1 degree for the standard prior).
    """
    sx, sy = view.scale
    return float(degrees * pixels_per_degree * 0.5 * (sx + sy))


def _shape(image_shape: Sequence[int]) -> tuple[int, int]:
    if len(image_shape) != 2 or int(image_shape[0]) <= 0 or int(image_shape[1]) <= 0:
        raise GeometryError(f"image_shape must be (H, W) with H, W > 0, got {image_shape!r}")
    return int(image_shape[0]), int(image_shape[1])


def _region(region: Sequence[float] | None, h: int, w: int) -> tuple[int, int, int, int]:
    """Region clipped to the image and rounded outwards to whole pixels: (c0, r0, c1, r1)."""
    if region is None:
        return 0, 0, w, h
    if len(region) != 4:
        raise GeometryError(f"region must be (x0, y0, x1, y1), got {region!r}")
    x0, y0, x1, y1 = (float(v) for v in region)
    c0, r0 = max(int(math.floor(x0)), 0), max(int(math.floor(y0)), 0)
    c1, r1 = min(int(math.ceil(x1)), w), min(int(math.ceil(y1)), h)
    if c1 <= c0 or r1 <= r0:
        raise EmptyInputError(f"region {tuple(region)!r} does not overlap the image of shape {(h, w)}")
    return c0, r0, c1, r1


def fixation_prior(
    x_img: ArrayLike,
    y_img: ArrayLike,
    duration_ms: ArrayLike,
    *,
    image_shape: tuple[int, int],
    sigma_px: float,
    region: tuple[float, float, float, float] | None = None,
    downsample: int = 1,
) -> F32:
    """Sum of duration-weighted 2-D Gaussians at fixation positions, normalised to sum to 1.

    Fixations outside ``region`` (default: the whole image) or with a non-finite position are ignored,
    and the map is zero outside the region: gaze off the displayed image says nothing about it.

    Parameters
    ----------
    x_img, y_img : array_like, shape (k,)
        Fixation positions in image pixels (corner origin).
    duration_ms : array_like, shape (k,)
        Weights, normally fixation durations in ms; must be finite and >= 0.
    image_shape : (H, W)
        Output shape.
    sigma_px : float
        Gaussian standard deviation in image pixels (1 degree of visual angle, see :func:`sigma_image_px`).
    region : (x0, y0, x1, y1), optional
        Image region that was on screen, image pixels.
    downsample : int
        Build the map on blocks of ``downsample`` x ``downsample`` image pixels (each block holds the
        Gaussians' value at its centre); positions, ``sigma_px`` and ``region`` stay in image pixels. See
        :data:`PRIOR_MAX_SIDE` and :func:`prior_downsample` for the resolution worth storing.

    Returns
    -------
    ndarray of float32, shape (ceil(H / downsample), ceil(W / downsample))
        Non-negative, sums to 1.

    Raises
    ------
    EmptyInputError
        No fixation (with positive weight) lies inside the region.
    InvalidSamplesError
        Lengths differ or a duration is negative or not finite.

    Examples
    --------
    >>> p = fixation_prior([50.0], [20.0], [300.0], image_shape=(40, 100), sigma_px=5.0)
    >>> p.shape, round(float(p.sum()), 5), np.unravel_index(int(p.argmax()), p.shape)
    ((40, 100), 1.0, (np.int64(19), np.int64(49)))
    >>> fixation_prior([50.0], [20.0], [300.0], image_shape=(40, 100), sigma_px=5.0, downsample=4).shape
    (10, 25)
    """
    h, w = _shape(image_shape)
    sigma = float(sigma_px)
    if not math.isfinite(sigma) or sigma <= 0:
        raise ParameterError(f"sigma_px must be > 0 and finite, got {sigma_px!r}")
    if isinstance(downsample, bool) or not isinstance(downsample, int | np.integer) or downsample < 1:
        raise ParameterError(f"downsample must be a whole number >= 1, got {downsample!r}")
    x = np.asarray(x_img, dtype=np.float64).ravel()
    y = np.asarray(y_img, dtype=np.float64).ravel()
    d = np.asarray(duration_ms, dtype=np.float64).ravel()
    if not (x.shape == y.shape == d.shape):
        raise InvalidSamplesError(f"x_img, y_img, duration_ms lengths differ: {x.size}, {y.size}, {d.size}")
    if x.size == 0:
        raise EmptyInputError("fixation_prior needs at least one fixation, got none")
    bad = ~np.isfinite(d) | (d < 0)
    if bad.any():
        i = int(np.argmax(bad))
        raise InvalidSamplesError(f"duration {d[i]!r} must be finite and >= 0", index=i, field="duration_ms")
    c0, r0, c1, r1 = _region(region, h, w)
    if region is not None:
        rx0, ry0, rx1, ry1 = (float(v) for v in region)
    else:
        rx0, ry0, rx1, ry1 = 0.0, 0.0, float(w), float(h)
    with np.errstate(invalid="ignore"):
        inside = (
            np.isfinite(x)
            & np.isfinite(y)
            & (x >= max(rx0, 0.0))
            & (x < min(rx1, w))
            & (y >= max(ry0, 0.0))
            & (y < min(ry1, h))
            & (d > 0)
        )
    if not inside.any():
        raise EmptyInputError(
            f"none of the {x.size} fixations lies in region {(rx0, ry0, rx1, ry1)} with duration > 0"
        )
    x, y, d = x[inside], y[inside], d[inside]
    f = int(downsample)
    if f > 1:
        # the same map on a grid of f x f blocks: every length in block units; the region rounded outwards
        h, w = -(-h // f), -(-w // f)
        c0, r0, c1, r1 = c0 // f, r0 // f, -(-c1 // f), -(-r1 // f)
        x, y, sigma = x / f, y / f, sigma / f
    return _separable_gaussians(x, y, d / d.sum(), h, w, (c0, r0, c1, r1), sigma)


_CUTOFF_SIGMAS = 5.0  # a Gaussian is dropped from tiles farther than this; its value there is < 4e-6 of peak


def _gaussian_rows(
    centres: NDArray[np.float64], size: int, sigma: float, reach: float
) -> NDArray[np.float32]:
    """(k, size) samples of 1-D Gaussians at pixel centres ``i + 0.5``, zero farther than ``reach``.

    Only the band within ``reach`` of each centre is evaluated (the exponentials dominate the cost).
    """
    k = centres.shape[0]
    half = int(math.ceil(reach))
    span = min(2 * half + 1, size)
    out = np.zeros((k, size), np.float32)
    first = np.clip(np.floor(centres).astype(np.int64) - half, 0, max(size - span, 0))  # (k,)
    idx = first[:, None] + np.arange(span)[None, :]  # (k, span)
    d = (idx + 0.5 - centres[:, None]).astype(np.float32)
    band = np.exp(np.float32(-0.5 / (sigma * sigma)) * d * d)
    band[np.abs(d) > reach] = 0.0
    np.put_along_axis(out, idx, band, axis=1)
    return out


def _separable_gaussians(
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    wts: NDArray[np.float64],
    h: int,
    w: int,
    box: tuple[int, int, int, int],
    sigma: float,
) -> F32:
    """sum_k wts_k g(col - x_k) g(row - y_k) on ``box`` (zero elsewhere), normalised to sum 1.

    The map is ``Gy^T diag(wts) Gx``; it is computed tile by tile with only the fixations near each tile,
    which cuts the work by the ratio of image area to Gaussian footprint.
    """
    c0, r0, c1, r1 = box
    reach = _CUTOFF_SIGMAS * sigma
    gx = _gaussian_rows(x - c0, c1 - c0, sigma, reach)  # (k, Wr)
    gy = _gaussian_rows(y - r0, r1 - r0, sigma, reach)  # (k, Hr)
    # exact total from the 1-D sums, so the big map needs no second pass
    total = float(np.sum(wts * gx.sum(axis=1, dtype=np.float64) * gy.sum(axis=1, dtype=np.float64)))
    if not total > 0:
        raise EmptyInputError("the prior is zero everywhere inside the region (sigma too small?)")
    gy *= (wts / total).astype(np.float32)[:, None]
    out = np.zeros((h, w), np.float32)
    tile = 128  # measured best on 2 cores for sigma 20-60 px (small matmuls, few fixations each)
    hr, wr = r1 - r0, c1 - c0
    col_edges = list(range(0, wr, tile))
    col_sets = [
        (a, min(a + tile, wr), (x + reach >= c0 + a) & (x - reach < c0 + min(a + tile, wr)))
        for a in col_edges
    ]
    for ra in range(0, hr, tile):
        rb = min(ra + tile, hr)
        near_r = (y + reach >= r0 + ra) & (y - reach < r0 + rb)
        if not near_r.any():
            continue
        for ca, cb, near_c in col_sets:
            idx = np.flatnonzero(near_r & near_c)
            if idx.size:
                np.matmul(gy[idx, ra:rb].T, gx[idx, ca:cb], out=out[r0 + ra : r0 + rb, c0 + ca : c0 + cb])
    return out


def _pool_axis0(a: NDArray[np.float32], lo: float, hi: float, cells: int) -> NDArray[np.float64]:
    """Exact area sums of the rows of ``a`` over ``cells`` equal intervals of [lo, hi) (fractional edges).

    One pass over the whole rows of each interval, plus corrections for the partial rows at the edges.
    """
    n = a.shape[0]
    # edges beyond the image (padding) hold no mass: clamp them to the image
    edges = np.clip(lo + (hi - lo) * np.arange(cells + 1) / cells, 0.0, float(n))
    f = np.floor(edges).astype(np.int64)
    phi = edges - f
    f = np.clip(f, 0, n)
    base = np.zeros((cells, a.shape[1]), np.float32)
    for i in range(cells):
        if f[i + 1] > f[i]:
            # summing a contiguous block of rows is one fast vectorised pass
            np.add.reduce(a[f[i] : f[i + 1]], axis=0, out=base[i])
    base = base.astype(np.float64)
    a64 = a
    rows_lo = np.minimum(f[:-1], n - 1)
    rows_hi = np.minimum(f[1:], n - 1)
    base -= (phi[:-1] * (f[:-1] < n))[:, None] * a64[rows_lo]
    base += (phi[1:] * (f[1:] < n))[:, None] * a64[rows_hi]
    return base


def pool_prior(
    prior: ArrayLike,
    grid: tuple[int, int],
    *,
    resize_to: int | None = None,
    center_crop: bool = False,
    pad_to_square: bool = False,
) -> F32:
    """Pool a prior onto a model's patch grid, following the model's resize and crop.

    Geometry: without ``center_crop`` the whole image is resized to the model input (any ``resize_to``),
    so grid cells split the whole image evenly. With ``center_crop`` the shorter side is resized to
    ``resize_to`` and the central square is cropped, so the cells split the central ``min(H, W)`` square of
    the original image. Each cell receives the exact (area-weighted) mass of the pixels it covers; the result
    is renormalised to sum to 1.

    Parameters
    ----------
    prior : array_like, shape (H, W)
        Non-negative map (normally from :func:`fixation_prior`).
    grid : (gh, gw)
        Patch grid, e.g. ``(37, 37)`` for a ViT-B/14 at 518 px.
    resize_to : int, optional
        Model input size in pixels; only used to check the grid divides it (``resize_to % gh == 0``).
    center_crop : bool
        Whether the model centre-crops a square after resizing the shorter side.
    pad_to_square : bool
        Whether the model instead pads the image to a centred square (letterbox) after resizing the
        longer side; cells over the padding get no mass.

    Returns
    -------
    ndarray of float32, shape (gh, gw)
        Sums to 1.

    Raises
    ------
    EmptyInputError
        No mass falls inside the cropped area.

    Examples
    --------
    >>> p = np.zeros((4, 6), np.float32); p[1, 0] = 1.0
    >>> pool_prior(p, (2, 2)).tolist()
    [[1.0, 0.0], [0.0, 0.0]]
    >>> float(pool_prior(np.ones((4, 6)), (2, 2), center_crop=True).sum())
    1.0
    """
    p = np.asarray(prior, dtype=np.float32)
    if p.ndim != 2 or p.size == 0:
        raise GeometryError(f"prior must be a non-empty 2-D array, got shape {p.shape}")
    if len(grid) != 2 or int(grid[0]) <= 0 or int(grid[1]) <= 0:
        raise GeometryError(f"grid must be (gh, gw) > 0, got {grid!r}")
    gh, gw = int(grid[0]), int(grid[1])
    if resize_to is not None:
        if int(resize_to) <= 0:
            raise ParameterError(f"resize_to must be > 0, got {resize_to!r}")
        if int(resize_to) % gh or int(resize_to) % gw:
            raise ParameterError(f"grid {grid} does not divide the model input size {resize_to}")
    if p.min() < 0:
        raise InvalidSamplesError("prior must be non-negative")
    h, w = p.shape
    if center_crop and pad_to_square:
        raise ParameterError("center_crop and pad_to_square exclude each other")
    if pad_to_square:
        s = float(max(h, w))
        y0, x0 = 0.5 * (h - s), 0.5 * (w - s)
        y1, x1 = y0 + s, x0 + s
    elif center_crop:
        s = float(min(h, w))
        y0, x0 = 0.5 * (h - s), 0.5 * (w - s)
        y1, x1 = y0 + s, x0 + s
    else:
        y0, x0, y1, x1 = 0.0, 0.0, float(h), float(w)
    pooled = _pool_axis0(p, y0, y1, gh)  # (gh, W)
    pooled = _pool_axis0(np.ascontiguousarray(pooled.T), x0, x1, gw).T  # (gh, gw)
    total = float(pooled.sum(dtype=np.float64))
    if not math.isfinite(total):
        raise InvalidSamplesError("prior must be finite (it holds NaN or infinity)")
    if not total > 0:
        raise EmptyInputError("the prior has no mass inside the model's crop")
    return (pooled / np.float32(total)).astype(np.float32)


def sentence_priors(
    x_img: ArrayLike,
    y_img: ArrayLike,
    onset_ms: ArrayLike,
    offset_ms: ArrayLike,
    spans_ms: Sequence[tuple[float, float]],
    *,
    image_shape: tuple[int, int],
    sigma_px: float,
    region: tuple[float, float, float, float] | None = None,
    lead_ms: float = 0.0,
    downsample: int = 1,
) -> list[F32 | None]:
    """One prior per time span (report sentence), weighting each fixation by its overlap with the span.

    Parameters
    ----------
    x_img, y_img, onset_ms, offset_ms : array_like, shape (k,)
        Fixations in image pixels and their times (same clock as the spans).
    spans_ms : sequence of (start, end)
        Sentence time spans in ms (dictation or typing).
    image_shape, sigma_px, region, downsample
        As for :func:`fixation_prior`.
    lead_ms : float
        Extend each span this far back in time (readers look before they speak or type).

    Returns
    -------
    list of (ndarray float32 (ceil(H / downsample), ceil(W / downsample)) or None)
        ``None`` where no fixation inside the region overlaps the span.
    """
    on = np.asarray(onset_ms, dtype=np.float64)
    off = np.asarray(offset_ms, dtype=np.float64)
    out: list[F32 | None] = []
    for i, span in enumerate(spans_ms):
        t0, t1 = float(span[0]) - float(lead_ms), float(span[1])
        if not t1 >= t0:
            raise ParameterError(f"span {i} ends before it starts: {span!r}")
        weight = np.clip(np.minimum(off, t1) - np.maximum(on, t0), 0.0, None)
        if not (weight > 0).any():
            out.append(None)
            continue
        try:
            out.append(
                fixation_prior(
                    x_img,
                    y_img,
                    weight,
                    image_shape=image_shape,
                    sigma_px=sigma_px,
                    region=region,
                    downsample=downsample,
                )
            )
        except EmptyInputError:
            out.append(None)
    return out


def aggregate_priors(priors: Sequence[ArrayLike], weights: ArrayLike | None = None) -> F32:
    """Weighted mean of readers' priors (each of shape (H, W)), renormalised to sum to 1.

    Parameters
    ----------
    priors : sequence of array_like, each (H, W)
        One prior per reader (or per reading).
    weights : array_like, shape (m,), optional
        Reader weights (default equal).
    """
    if len(priors) == 0:
        raise EmptyInputError("aggregate_priors needs at least one prior")
    arrs = [np.asarray(p, dtype=np.float64) for p in priors]
    shape = arrs[0].shape
    for i, a in enumerate(arrs):
        if a.shape != shape:
            raise GeometryError(f"prior {i} has shape {a.shape}, expected {shape}")
    wts = np.ones(len(arrs)) if weights is None else np.asarray(weights, dtype=np.float64)
    if wts.shape != (len(arrs),) or not np.isfinite(wts).all() or (wts < 0).any() or wts.sum() <= 0:
        raise ParameterError("weights must be one finite non-negative value per prior, not all zero")
    acc = np.zeros(shape)
    for a, wt in zip(arrs, wts, strict=True):
        s = a.sum()
        if s > 0:
            acc += wt * a / s
    total = acc.sum()
    if not total > 0:
        raise EmptyInputError("all priors are zero")
    return (acc / total).astype(np.float32)
