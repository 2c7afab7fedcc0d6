"""Screen geometry (pixels per degree) and the exact screen-to-image mapping under zoom and pan.

Image coordinates are continuous pixel coordinates with the origin at the top-left *corner* of the image:
pixel ``(row, col)`` covers ``[col, col + 1) x [row, row + 1)``, so an image of shape ``(rows, cols)`` spans
``[0, cols] x [0, rows]`` and its pixel centres lie at ``col + 0.5``. Screen coordinates are pixels with the
origin at the top-left corner of the screen.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .errors import GeometryError, InvalidSamplesError
from .samples import Fixations, Samples

__all__ = ["ScreenGeometry", "View", "map_to_image", "image_to_screen", "map_samples", "map_fixations"]

Rect = tuple[float, float, float, float]


@dataclass(frozen=True)
class ScreenGeometry:
    """A display as seen by the reader.

    Parameters
    ----------
    width_px, height_px : int
        Resolution in pixels.
    width_mm, height_mm : float
        Physical size of the active area in mm.
    distance_mm : float
        Eye-to-screen distance in mm (perpendicular, at the screen centre).

    Examples
    --------
    >>> g = ScreenGeometry(1024, 768, 380.0, 300.0, 670.0)
    >>> round(g.pixels_per_degree, 1)
    30.7
    """

    width_px: int
    height_px: int
    width_mm: float
    height_mm: float
    distance_mm: float

    def __post_init__(self) -> None:
        for name in ("width_px", "height_px", "width_mm", "height_mm", "distance_mm"):
            v = getattr(self, name)
            if not (isinstance(v, int | float) and math.isfinite(v) and v > 0):
                raise GeometryError(f"ScreenGeometry.{name} must be a positive finite number, got {v!r}")

    @staticmethod
    def _ppd(size_px: float, size_mm: float, distance_mm: float) -> float:
        # one pixel at the centre of the screen subtends 2*atan(p/2d); its inverse is pixels per degree there
        mm_per_px = size_mm / size_px
        return 1.0 / math.degrees(2.0 * math.atan(0.5 * mm_per_px / distance_mm))

    @property
    def ppd_x(self) -> float:
        """Horizontal pixels per degree of visual angle at the screen centre."""
        return self._ppd(self.width_px, self.width_mm, self.distance_mm)

    @property
    def ppd_y(self) -> float:
        """Vertical pixels per degree of visual angle at the screen centre."""
        return self._ppd(self.height_px, self.height_mm, self.distance_mm)

    @property
    def pixels_per_degree(self) -> float:
        """Mean of :attr:`ppd_x` and :attr:`ppd_y`."""
        return 0.5 * (self.ppd_x + self.ppd_y)

    def angle_deg(self, x0: ArrayLike, y0: ArrayLike, x1: ArrayLike, y1: ArrayLike) -> NDArray[np.float64]:
        """Exact visual angle in degrees between screen points ``(x0, y0)`` and ``(x1, y1)`` (pixels).

        Uses the vectors from the eye (on the axis through the screen centre) to both points, so it is
        correct away from the centre too.
        """
        sx = self.width_mm / self.width_px
        sy = self.height_mm / self.height_px
        ax = (np.asarray(x0, float) - 0.5 * self.width_px) * sx
        ay = (np.asarray(y0, float) - 0.5 * self.height_px) * sy
        bx = (np.asarray(x1, float) - 0.5 * self.width_px) * sx
        by = (np.asarray(y1, float) - 0.5 * self.height_px) * sy
        d = self.distance_mm
        dot = ax * bx + ay * by + d * d
        cross = np.sqrt((ay * d - d * by) ** 2 + (d * bx - ax * d) ** 2 + (ax * by - ay * bx) ** 2)
        return np.degrees(np.arctan2(cross, dot))


def _rect(name: str, r: Sequence[float]) -> Rect:
    if len(r) != 4:
        raise GeometryError(f"{name} must be (x0, y0, x1, y1), got {r!r}")
    x0, y0, x1, y1 = (float(v) for v in r)
    if not all(math.isfinite(v) for v in (x0, y0, x1, y1)) or x1 <= x0 or y1 <= y0:
        raise GeometryError(f"{name} must have x1 > x0 and y1 > y0 (finite), got {r!r}")
    return (x0, y0, x1, y1)


@dataclass(frozen=True)
class View:
    """What the viewer displayed from time ``t_ms`` on (until the next view).

    Parameters
    ----------
    t_ms : float
        Device-clock time (ms) from which this view is in force.
    image_region : (x0, y0, x1, y1)
        The image region shown, in image pixels; may extend beyond the image when letterboxed.
    screen_rect : (x0, y0, x1, y1)
        Where that region is drawn on the screen, in screen pixels.
    image_shape : (rows, cols)
        Size of the full image in pixels.
    window_width, window_level : float, optional
        Display window, for the record.
    zoom : float, optional
        Viewer zoom factor, for the record (the mapping uses the two rectangles only).
    """

    t_ms: float
    image_region: Rect
    screen_rect: Rect
    image_shape: tuple[int, int]
    window_width: float | None = None
    window_level: float | None = None
    zoom: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "image_region", _rect("View.image_region", self.image_region))
        object.__setattr__(self, "screen_rect", _rect("View.screen_rect", self.screen_rect))
        if len(self.image_shape) != 2 or min(self.image_shape) <= 0:
            raise GeometryError(f"View.image_shape must be (rows, cols) > 0, got {self.image_shape!r}")
        object.__setattr__(self, "image_shape", (int(self.image_shape[0]), int(self.image_shape[1])))
        if not math.isfinite(float(self.t_ms)):
            raise GeometryError(f"View.t_ms must be finite, got {self.t_ms!r}")

    @property
    def scale(self) -> tuple[float, float]:
        """Image pixels per screen pixel along x and y."""
        ix0, iy0, ix1, iy1 = self.image_region
        sx0, sy0, sx1, sy1 = self.screen_rect
        return ((ix1 - ix0) / (sx1 - sx0), (iy1 - iy0) / (sy1 - sy0))

    def visible_region(self) -> Rect:
        """The part of the image actually on screen: ``image_region`` clipped to the image, image pixels."""
        ix0, iy0, ix1, iy1 = self.image_region
        rows, cols = self.image_shape
        return (max(ix0, 0.0), max(iy0, 0.0), min(ix1, float(cols)), min(iy1, float(rows)))


def map_to_image(
    x: ArrayLike, y: ArrayLike, t_ms: ArrayLike, views: Sequence[View]
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_], NDArray[np.intp]]:
    """Map screen positions to image pixels with the view in force at each sample's time.

    For each sample the latest view with ``view.t_ms <= t`` applies. The mapping is the affine map from
    ``screen_rect`` onto ``image_region`` (exact; :func:`image_to_screen` inverts it).

    Parameters
    ----------
    x, y : array_like, shape (n,)
        Screen pixels.
    t_ms : array_like, shape (n,)
        Sample times on the same clock as ``View.t_ms``.
    views : sequence of View
        Sorted by ``t_ms`` (non-decreasing).

    Returns
    -------
    x_img, y_img : ndarray of float64, shape (n,)
        Image pixel coordinates (corner origin); NaN where no view was in force or the input was NaN.
    on_image : ndarray of bool, shape (n,)
        True where the sample fell on the displayed part of the image.
    view_index : ndarray of intp, shape (n,)
        Index into ``views`` of the view used, -1 where none was in force.

    Raises
    ------
    InvalidSamplesError
        Input lengths differ.
    GeometryError
        ``views`` are not sorted by time.

    Examples
    --------
    >>> v = View(0.0, (0, 0, 2000, 2000), (100, 0, 1100, 1000), (2000, 2000))
    >>> xi, yi, on, k = map_to_image([600.0], [500.0], [5.0], [v])
    >>> float(xi[0]), float(yi[0]), bool(on[0]), int(k[0])
    (1000.0, 1000.0, True, 0)
    """
    xs = np.asarray(x, dtype=np.float64)
    ys = np.asarray(y, dtype=np.float64)
    ts = np.asarray(t_ms, dtype=np.float64)
    if not (xs.shape == ys.shape == ts.shape) or xs.ndim != 1:
        raise InvalidSamplesError(
            f"x, y, t_ms must be 1-D of equal length, got {xs.shape}, {ys.shape}, {ts.shape}"
        )
    n = xs.shape[0]
    if not views:
        return np.full(n, np.nan), np.full(n, np.nan), np.zeros(n, bool), np.full(n, -1, np.intp)
    vt = np.array([float(v.t_ms) for v in views])
    if np.any(np.diff(vt) < 0):
        i = int(np.argmax(np.diff(vt) < 0)) + 1
        raise GeometryError(f"views must be sorted by t_ms; view {i} starts before view {i - 1}")
    ir = np.array([v.image_region for v in views], dtype=np.float64)  # (V, 4)
    sr = np.array([v.screen_rect for v in views], dtype=np.float64)  # (V, 4)
    shp = np.array([v.image_shape for v in views], dtype=np.float64)  # (V, 2) rows, cols
    idx = np.searchsorted(vt, ts, side="right") - 1
    idx = np.where(np.isnan(ts), -1, idx)
    has = idx >= 0
    k = np.where(has, idx, 0)
    sx = (ir[k, 2] - ir[k, 0]) / (sr[k, 2] - sr[k, 0])
    sy = (ir[k, 3] - ir[k, 1]) / (sr[k, 3] - sr[k, 1])
    xi = ir[k, 0] + (xs - sr[k, 0]) * sx
    yi = ir[k, 1] + (ys - sr[k, 1]) * sy
    xi = np.where(has, xi, np.nan)
    yi = np.where(has, yi, np.nan)
    with np.errstate(invalid="ignore"):
        on = (
            has
            & (xi >= np.maximum(ir[k, 0], 0.0))
            & (xi < np.minimum(ir[k, 2], shp[k, 1]))
            & (yi >= np.maximum(ir[k, 1], 0.0))
            & (yi < np.minimum(ir[k, 3], shp[k, 0]))
        )
    return xi, yi, on, idx.astype(np.intp)


def image_to_screen(
    x_img: ArrayLike, y_img: ArrayLike, view: View
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Inverse of :func:`map_to_image` for one view: image pixels to screen pixels.

    Parameters
    ----------
    x_img, y_img : array_like, shape (n,)
        Image coordinates (corner origin).
    view : View
        The view to invert.

    Returns
    -------
    x, y : ndarray of float64, shape (n,)
        Screen pixels.
    """
    ix0, iy0, ix1, iy1 = view.image_region
    sx0, sy0, sx1, sy1 = view.screen_rect
    xi = np.asarray(x_img, dtype=np.float64)
    yi = np.asarray(y_img, dtype=np.float64)
    return sx0 + (xi - ix0) * (sx1 - sx0) / (ix1 - ix0), sy0 + (yi - iy0) * (sy1 - sy0) / (iy1 - iy0)


def map_samples(
    samples: Samples, views: Sequence[View]
) -> tuple[Samples, NDArray[np.bool_], NDArray[np.intp]]:
    """Map screen samples to image pixels with the views in force (see :func:`map_to_image`).

    Returns
    -------
    image_samples : Samples
        Same times and pupil; positions in image pixels; invalid where the input was invalid, no view was
        in force, or the gaze was off the displayed image.
    on_image : ndarray of bool, shape (n,)
    view_index : ndarray of intp, shape (n,)
    """
    xi, yi, on, idx = map_to_image(samples.x, samples.y, samples.t_ms, views)
    valid = samples.valid & on
    mapped = Samples(
        t_ms=samples.t_ms,
        x=np.where(valid, xi, np.nan),
        y=np.where(valid, yi, np.nan),
        valid=valid,
        pupil=samples.pupil,
        host_t_ms=samples.host_t_ms,
    )
    return mapped, on, idx


def map_fixations(
    fixations: Fixations, views: Sequence[View]
) -> tuple[Fixations, NDArray[np.bool_], NDArray[np.intp]]:
    """Map fixation centres (screen pixels) to image pixels with the view in force at each onset.

    Returns
    -------
    image_fixations : Fixations
        Same times; positions in image pixels (NaN where no view was in force).
    on_image : ndarray of bool, shape (k,)
        Whether the centre fell on the displayed image (use it to drop off-image fixations).
    view_index : ndarray of intp, shape (k,)
    """
    xi, yi, on, idx = map_to_image(fixations.x, fixations.y, fixations.onset_ms, views)
    out = Fixations(
        onset_ms=fixations.onset_ms,
        offset_ms=fixations.offset_ms,
        duration_ms=fixations.duration_ms,
        x=xi,
        y=yi,
    )
    return out, on, idx
