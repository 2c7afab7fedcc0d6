"""The resolution gaze priors are stored at, and reading them back at the image's scale.

A prior of an image of (rows, columns) is stored reduced by the whole factor ``f`` that brings the longer
side to ``GAZE_PRIOR_MAX_SIDE`` or less (:func:`gaze_capture.prior_downsample`): shape
``(ceil(rows / f), ceil(columns / f))``, stored pixel ``(i, j)`` holding the prior at the centre of image
pixels ``[i f, (i + 1) f) x [j f, (j + 1) f)``. ``f`` is recorded beside the file (``prior_downsample`` on
:class:`~readingroom.gaze.models.GazeAnalysis` and :class:`~readingroom.gaze.models.SentencePrior`; 1 for
priors stored at full resolution before the reduction).
"""

from __future__ import annotations

import numpy as np
from django.conf import settings

import gaze_capture as gc


def prior_downsample_of(image_shape: tuple[int, int]) -> int:
    """The whole factor by which priors of an image of this (rows, columns) are reduced when stored."""
    return gc.prior_downsample(image_shape, max_side=int(settings.GAZE_PRIOR_MAX_SIDE))


def prior_shape(image_shape: tuple[int, int], downsample: int) -> tuple[int, int]:
    """The shape of a prior of an image of ``image_shape`` stored at ``downsample``: (ceil(H/f), ceil(W/f))."""
    f = int(downsample)
    if f < 1:
        raise ValueError(f"downsample must be a whole number >= 1, got {downsample!r}")
    return -(-int(image_shape[0]) // f), -(-int(image_shape[1]) // f)


def prior_image_position(row: float, col: float, downsample: int) -> tuple[float, float]:
    """The image pixel (row, column) at the centre of stored prior pixel (``row``, ``col``)."""
    f = int(downsample)
    return (row + 0.5) * f - 0.5, (col + 0.5) * f - 0.5


def prior_matches(prior: np.ndarray, image_shape: tuple[int, int], downsample: int) -> bool:
    """Whether a loaded prior has the shape recorded for it (a file from another image is refused)."""
    return prior.ndim == 2 and tuple(prior.shape) == prior_shape(image_shape, downsample)
