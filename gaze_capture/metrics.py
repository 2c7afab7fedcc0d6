"""Reading metrics from fixations in image pixels: dwell, time to first fixation, counts and revisits per
region of interest (box or mask), coverage of a region, scanpath length."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.ndimage import distance_transform_edt

from .errors import EmptyInputError, GeometryError, ParameterError
from .samples import Fixations

__all__ = ["ROI", "RoiMetrics", "roi_metrics", "coverage", "scanpath_length"]


@dataclass(frozen=True, eq=False)
class ROI:
    """A region of interest: a box ``(x0, y0, x1, y1)`` in image pixels, or a boolean mask (H, W).

    Exactly one of ``box`` and ``mask`` is given.
    """

    name: str
    box: tuple[float, float, float, float] | None = None
    mask: NDArray[np.bool_] | None = None

    def __post_init__(self) -> None:
        if (self.box is None) == (self.mask is None):
            raise GeometryError(f"ROI {self.name!r}: give exactly one of box and mask")
        if self.box is not None:
            x0, y0, x1, y1 = self.box
            if not (x1 > x0 and y1 > y0):
                raise GeometryError(f"ROI {self.name!r}: box must have x1 > x0 and y1 > y0, got {self.box!r}")
        if self.mask is not None:
            m = np.asarray(self.mask, dtype=bool)
            if m.ndim != 2:
                raise GeometryError(f"ROI {self.name!r}: mask must be 2-D, got shape {m.shape}")
            object.__setattr__(self, "mask", m)

    def contains(self, x: ArrayLike, y: ArrayLike) -> NDArray[np.bool_]:
        """Whether image points (corner-origin pixels) lie in the region."""
        xa = np.asarray(x, dtype=float)
        ya = np.asarray(y, dtype=float)
        with np.errstate(invalid="ignore"):
            if self.box is not None:
                x0, y0, x1, y1 = self.box
                return (xa >= x0) & (xa < x1) & (ya >= y0) & (ya < y1)
            m = self.mask
            assert m is not None
            ok = (
                np.isfinite(xa)
                & np.isfinite(ya)
                & (xa >= 0)
                & (ya >= 0)
                & (xa < m.shape[1])
                & (ya < m.shape[0])
            )
            out = np.zeros(xa.shape, bool)
            out[ok] = m[ya[ok].astype(int), xa[ok].astype(int)]
            return out


@dataclass(frozen=True)
class RoiMetrics:
    """Metrics of one region.

    Attributes
    ----------
    fixation_count : int
    dwell_ms : float
        Total fixation duration inside, ms.
    time_to_first_fixation_ms : float
        From ``t0_ms`` to the onset of the first fixation inside (NaN if never fixated).
    first_fixation_duration_ms : float
        NaN if never fixated.
    visits : int
        Runs of consecutive fixations inside (entries).
    revisits : int
        ``max(visits - 1, 0)``.
    """

    fixation_count: int
    dwell_ms: float
    time_to_first_fixation_ms: float
    first_fixation_duration_ms: float
    visits: int
    revisits: int


def roi_metrics(
    fixations: Fixations, rois: Sequence[ROI], *, t0_ms: float | None = None
) -> dict[str, RoiMetrics]:
    """Per-region reading metrics.

    Parameters
    ----------
    fixations : Fixations
        In image pixels, in time order.
    rois : sequence of ROI
        Regions (names must be unique).
    t0_ms : float, optional
        Start of the reading (image onset); default the first fixation's onset.

    Returns
    -------
    dict
        ``{roi.name: RoiMetrics}``.

    Examples
    --------
    >>> fx = Fixations(onset_ms=[0, 300, 600], offset_ms=[250, 550, 900], duration_ms=[250, 250, 300],
    ...                x=[10, 80, 12], y=[10, 10, 12])
    >>> m = roi_metrics(fx, [ROI("left", box=(0, 0, 50, 50))])["left"]
    >>> m.fixation_count, m.dwell_ms, m.visits, m.revisits
    (2, 550.0, 2, 1)
    """
    names = [r.name for r in rois]
    if len(set(names)) != len(names):
        raise ParameterError(f"ROI names must be unique, got {names}")
    start = float(fixations.onset_ms[0]) if t0_ms is None and len(fixations) else float(t0_ms or 0.0)
    out = {}
    for roi in rois:
        inside = roi.contains(fixations.x, fixations.y)
        idx = np.flatnonzero(inside)
        entries = int(np.sum(inside & ~np.concatenate(([False], inside[:-1])))) if inside.size else 0
        out[roi.name] = RoiMetrics(
            fixation_count=int(idx.size),
            dwell_ms=float(fixations.duration_ms[inside].sum()),
            time_to_first_fixation_ms=float(fixations.onset_ms[idx[0]] - start) if idx.size else math.nan,
            first_fixation_duration_ms=float(fixations.duration_ms[idx[0]]) if idx.size else math.nan,
            visits=entries,
            revisits=max(entries - 1, 0),
        )
    return out


def coverage(fixations: Fixations, region: ROI, *, image_shape: tuple[int, int], radius_px: float) -> float:
    """Fraction of a region's pixels within ``radius_px`` of at least one fixation (e.g. 1 degree).

    Parameters
    ----------
    fixations : Fixations
        In image pixels.
    region : ROI
        Box or mask (the mask must have ``image_shape``).
    image_shape : (H, W)
    radius_px : float
        Useful-field radius in image pixels.
    """
    h, w = int(image_shape[0]), int(image_shape[1])
    if radius_px <= 0:
        raise ParameterError(f"radius_px must be > 0, got {radius_px!r}")
    if region.mask is not None:
        if region.mask.shape != (h, w):
            raise GeometryError(f"mask shape {region.mask.shape} differs from image_shape {(h, w)}")
        area = region.mask
    else:
        area = np.zeros((h, w), bool)
        x0, y0, x1, y1 = region.box  # type: ignore[misc]
        area[
            max(int(math.floor(y0)), 0) : max(int(math.ceil(y1)), 0),
            max(int(math.floor(x0)), 0) : max(int(math.ceil(x1)), 0),
        ] = True
    n_area = int(area.sum())
    if n_area == 0:
        raise EmptyInputError(f"region {region.name!r} has no pixels inside the image")
    seeds = np.ones((h, w), bool)
    ok = np.isfinite(fixations.x) & np.isfinite(fixations.y)
    xs, ys = fixations.x[ok].astype(int), fixations.y[ok].astype(int)
    on = (xs >= 0) & (xs < w) & (ys >= 0) & (ys < h)
    if not on.any():
        return 0.0
    seeds[ys[on], xs[on]] = False
    dist = distance_transform_edt(seeds)
    return float((area & (dist <= radius_px)).sum() / n_area)


def scanpath_length(fixations: Fixations, *, pixels_per_unit: float = 1.0) -> float:
    """Sum of distances between consecutive fixation centres, divided by ``pixels_per_unit``.

    Use ``pixels_per_unit`` = pixels per degree to get degrees.
    """
    ok = np.isfinite(fixations.x) & np.isfinite(fixations.y)
    x, y = fixations.x[ok], fixations.y[ok]
    if x.size < 2:
        return 0.0
    return float(np.hypot(np.diff(x), np.diff(y)).sum() / pixels_per_unit)
