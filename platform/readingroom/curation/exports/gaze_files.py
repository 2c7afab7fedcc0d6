"""A reading session's stored gaze as arrays the exporters write out (``gaze_capture`` types)."""

from __future__ import annotations

import numpy as np

import gaze_capture as gc
from readingroom.gaze.models import Fixation
from readingroom.reading.models import ReadingSession
from readingroom.studies.models import Image


def session_fixations(*, session: ReadingSession, image: Image) -> gc.Fixations:
    """The session's stored fixations on ``image`` in image pixels (times in device ms)."""
    rows = list(
        Fixation.objects.filter(session=session, image=image, x_image__isnull=False)
        .order_by("index")
        .values_list("onset_ms", "offset_ms", "duration_ms", "x_image", "y_image")
    )
    cols = np.asarray(rows, dtype=np.float64).reshape(-1, 5).T
    return gc.Fixations(onset_ms=cols[0], offset_ms=cols[1], duration_ms=cols[2], x=cols[3], y=cols[4])


def view_index_at(views: list[gc.View], t_ms: np.ndarray) -> np.ndarray:
    """Index of the view in force at each time (the first view for times before it)."""
    starts = np.asarray([v.t_ms for v in views], dtype=np.float64)
    return np.clip(np.searchsorted(starts, t_ms, side="right") - 1, 0, None).astype(np.intp)
