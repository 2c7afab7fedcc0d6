"""Per-sentence gaze priors of a reading session, for the CoGaze export.

A sentence's prior is built from the fixations whose midpoint falls inside the sentence's time span, as the
session's whole prior is (duration-weighted Gaussians of 1 degree at each view's zoom, limited to the image
region on screen: :func:`readingroom.gaze.analysis.gaze_prior`). Fixation times and sentence spans are both on
the session clock (server epoch ms for platform reads; the recording's own clock for imported sessions).

Where the spans come from: the latest report version's ``sentences`` (``{"text", "start_ms", "end_ms"}``,
written when a report is submitted with typed or dictated sentence spans), else the report's
``sentence_spans`` in the same shape (kept by the REFLACX and EGD-CXR imports from their time-stamped
transcripts). A session with neither gets no per-sentence priors: the export then
writes the report-level prior alone and says so in the study entry.

Priors are stored at :data:`GAZE_GRID` (the whole image area-pooled onto 128 x 128 cells, each map summing to
1): at most 64 KB per map instead of the full-resolution image, and finer than any patch grid CoGaze uses
(37 x 37 at 518 px), onto which the reader pools them again.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import gaze_capture as gc
from readingroom.gaze.analysis import gaze_prior, screen_geometry, session_gaze
from readingroom.gaze.models import Fixation
from readingroom.gaze.prior_scale import prior_downsample_of
from readingroom.reading.models import ReadingSession
from readingroom.studies.models import Image

GAZE_GRID = (128, 128)


@dataclass(frozen=True)
class SentenceGaze:
    """The sentences of one session's report on one image with their reduced priors (None: no fixation);
    without them (``sentences`` empty), ``missing`` says what the session lacks."""

    sentences: list[str]
    priors: list[np.ndarray | None]
    missing: str = ""


def reduce_prior(prior: np.ndarray) -> np.ndarray:
    """A prior over the whole image (at full or stored resolution) area-pooled onto :data:`GAZE_GRID`,
    float32 summing to 1."""
    return gc.pool_prior(prior, GAZE_GRID).astype(np.float32)


def session_sentence_spans(*, session: ReadingSession) -> list[tuple[str, float, float]]:
    """The stored sentence spans (text, start ms, end ms) of the session's report; [] where none are stored."""
    report = getattr(session, "report", None)  # a missing one-to-one raises an AttributeError subclass
    if report is None:
        return []
    spans: list = []
    versions = getattr(report, "versions", None)
    if versions is not None:
        latest = versions.order_by("-number").first()
        spans = list(getattr(latest, "sentences", None) or [])
    if not spans:
        spans = list(getattr(report, "sentence_spans", None) or [])
    return [(str(s["text"]), float(s["start_ms"]), float(s["end_ms"])) for s in spans]


def session_sentence_gaze(*, session_id: int, image: Image) -> SentenceGaze:
    """Per-sentence priors of a session on ``image``; none, with the reason, without stored spans, view
    events or fixations on the image."""
    session = ReadingSession.objects.filter(pk=session_id).first()
    if session is None:
        return SentenceGaze([], [], "the session no longer exists")
    spans = session_sentence_spans(session=session)
    if not spans:
        return SentenceGaze([], [], "no sentence time spans stored for the report")
    rows = np.array(
        Fixation.objects.filter(session=session, image=image, x_image__isnull=False)
        .order_by("index")
        .values_list("onset_ms", "offset_ms", "duration_ms", "x_image", "y_image"),
        dtype=np.float64,
    ).reshape(-1, 5)
    if not len(rows):
        return SentenceGaze([], [], "no fixations on this image")
    gaze = session_gaze(session=session)
    if gaze is None or not gaze.views:
        return SentenceGaze([], [], "no gaze samples or view events stored")
    mid = 0.5 * (rows[:, 0] + rows[:, 1])
    starts = np.array([v.t_ms for v in gaze.views])
    view_index = np.clip(np.searchsorted(starts, mid, side="right") - 1, 0, None).astype(np.intp)
    ppd = screen_geometry(session=session).pixels_per_degree
    downsample = prior_downsample_of((image.rows, image.columns))
    priors: list[np.ndarray | None] = []
    for _, start, end in spans:
        inside = (mid >= start) & (mid <= end) & (rows[:, 2] > 0)
        if not inside.any():
            priors.append(None)
            continue
        prior = gaze_prior(
            x_img=rows[inside, 3],
            y_img=rows[inside, 4],
            duration_ms=rows[inside, 2],
            view_index=view_index[inside],
            views=gaze.views,
            image_shape=(image.rows, image.columns),
            pixels_per_degree=ppd,
            downsample=downsample,
        )
        priors.append(reduce_prior(prior))
    return SentenceGaze(sentences=[text for text, _, _ in spans], priors=priors)
