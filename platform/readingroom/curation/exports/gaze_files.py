"""Gaze of a reading session as REFLACX-compatible CSVs and BIDS eye-tracking files (``gaze_capture``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import gaze_capture as gc
from gaze_capture.formats import write_bids_physio, write_reflacx_fixations, write_reflacx_gaze
from readingroom.gaze.analysis import screen_geometry, session_gaze
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


def _view_index(views: list[gc.View], t_ms: np.ndarray) -> np.ndarray:
    starts = np.asarray([v.t_ms for v in views], dtype=np.float64)
    return np.clip(np.searchsorted(starts, t_ms, side="right") - 1, 0, None).astype(np.intp)


def session_write_reflacx(*, session: ReadingSession, image: Image, folder: Path) -> list[Path]:
    """Write ``fixations.csv`` and ``gaze.csv`` (REFLACX columns; image pixels, seconds) for one image.

    Returns the files written (none where the session has no gaze or no view of the image).
    """
    gaze = session_gaze(session=session)
    if gaze is None or not gaze.views:
        return []
    geometry = screen_geometry(session=session)
    folder.mkdir(parents=True, exist_ok=True)
    fixations = session_fixations(session=session, image=image)
    mid = (fixations.onset_ms + fixations.offset_ms) / 2.0
    write_reflacx_fixations(folder / "fixations.csv", fixations, views=gaze.views,
                            view_index=_view_index(gaze.views, mid), ppd_x=geometry.ppd_x,
                            ppd_y=geometry.ppd_y)  # fmt: skip
    s = gaze.samples
    x_img, y_img, on_image, view_index = gc.map_to_image(s.x, s.y, s.t_ms, gaze.views)
    this_image = np.isin(view_index, [i for i, v in enumerate(gaze.view_image_ids) if v == image.pk])
    keep = view_index >= 0
    mapped = gc.Samples.from_arrays(s.t_ms[keep], x_img[keep], y_img[keep],
                                    valid=(s.valid & on_image & this_image)[keep])  # fmt: skip
    write_reflacx_gaze(folder / "gaze.csv", mapped, views=gaze.views, view_index=view_index[keep],
                       ppd_x=geometry.ppd_x, ppd_y=geometry.ppd_y)  # fmt: skip
    return [folder / "fixations.csv", folder / "gaze.csv"]


def session_write_bids(*, session: ReadingSession, folder: Path, subject: str) -> list[Path]:
    """Write the session's raw samples (screen pixels, ms) as BIDS ``*_physio.tsv.gz`` + JSON sidecar."""
    gaze = session_gaze(session=session)
    if gaze is None or len(gaze.samples) < 2:
        return []
    folder.mkdir(parents=True, exist_ok=True)
    name = f"sub-{subject}_ses-{session.pk}_task-cxrreading_recording-eye1_physio.tsv.gz"
    rate = gaze.samples.sampling_rate_hz
    sidecar = write_bids_physio(folder / name, gaze.samples, sampling_frequency_hz=rate,
                                geometry=screen_geometry(session=session),
                                extra={"TaskName": "cxrreading"})  # fmt: skip
    return [folder / name, sidecar]
