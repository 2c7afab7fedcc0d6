"""Analysis of a submitted session's gaze: fixations, quality, and the duration-weighted gaze prior.

Samples stay in screen coordinates for detection (velocities in degrees per second need the screen's
pixels per degree); each fixation is then mapped to image pixels with the view in force at its midpoint.
The prior is a sum of Gaussians of sigma = 1 degree of visual angle, expressed in image pixels for the zoom
of each view, limited to the image region that view showed, and normalised to sum to 1.

Priors are stored at a reduced resolution (:func:`~readingroom.gaze.prior_scale.prior_downsample_of`): the image's size divided by the
whole factor that brings its longer side to ``GAZE_PRIOR_MAX_SIDE`` (518, the model's input size) or less,
each stored pixel holding the prior at the centre of its block of image pixels. The factor is recorded on
the row (``prior_downsample``); :func:`~readingroom.gaze.prior_scale.prior_shape` gives the stored shape.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.db import transaction

import gaze_capture as gc
from readingroom.core.files import media_write
from readingroom.core.heatmap import heatmap_png, npy_bytes
from readingroom.gaze.batches import COORD_MAX, TIME_MAX_MS
from readingroom.gaze.models import Fixation, GazeAnalysis, GazeChunk
from readingroom.gaze.prior_scale import prior_downsample_of, prior_shape
from readingroom.gaze.sentences import sentence_priors_store
from readingroom.gaze.services import session_image
from readingroom.reading.events import results_push_on_commit
from readingroom.reading.models import ReadingSession


@dataclass(frozen=True)
class SessionGaze:
    samples: gc.Samples
    views: list[gc.View]
    view_image_ids: list[int]


def _stream_samples(parts: list[np.ndarray]) -> np.ndarray:
    """One stream's chunks (in seq order) as one (4, n) array in time order, each timestamp once.

    Times that are not finite or lie beyond :data:`TIME_MAX_MS` are dropped, positions beyond
    :data:`COORD_MAX` marked invalid (rows stored before the ingest checked them); a timestamp that repeats
    (a batch resent under a new seq) keeps its first sample.
    """
    data = np.concatenate(parts, axis=1)
    data = data[:, np.isfinite(data[0]) & (np.abs(data[0]) <= TIME_MAX_MS)]
    with np.errstate(invalid="ignore"):
        unusable = ~(np.abs(data[1]) <= COORD_MAX) | ~(np.abs(data[2]) <= COORD_MAX)
    data[1:3, unusable] = np.nan
    data[3, unusable] = 0.0
    data = data[:, np.argsort(data[0], kind="stable")]
    return _first_of_each_time(data)


def _first_of_each_time(data: np.ndarray) -> np.ndarray:
    """``data`` (4, n), sorted by time, without the samples that repeat the previous one's time."""
    keep = np.ones(data.shape[1], dtype=bool)
    keep[1:] = np.diff(data[0]) > 0
    return data[:, keep]


def session_gaze(*, session: ReadingSession) -> SessionGaze | None:
    """All samples of a session in time order, and its views; None when no gaze was stored.

    Times are put on the server clock with each stream's offset where it is known (the device clock of a
    stream that never pinged is taken as is), so that streams of different senders line up. Each stream is
    sorted and cleaned on its own first (see :func:`_stream_samples`), so that chunks stored out of order,
    twice under different seqs, or with unusable values never fail the analysis.
    """
    offsets = {
        stream: value["offset_ms"]
        for stream, value in (session.clock_offsets or {}).items()
        if np.isfinite(value["offset_ms"]) and abs(value["offset_ms"]) <= TIME_MAX_MS
    }
    chunks = GazeChunk.objects.filter(session=session).order_by("stream", "seq").values_list("stream", "data")
    by_stream: dict[str, list[np.ndarray]] = {}
    for stream, raw in chunks:
        by_stream.setdefault(stream, []).append(np.frombuffer(bytes(raw), dtype="<f8").reshape(4, -1))
    if not by_stream:
        return None
    parts = []
    for stream, stream_parts in by_stream.items():
        part = _stream_samples(stream_parts)
        part[0] += offsets.get(stream, 0.0)
        parts.append(part)
    data = np.concatenate(parts, axis=1)
    data = _first_of_each_time(data[:, np.argsort(data[0], kind="stable")])
    samples = gc.Samples.from_arrays(data[0], data[1], data[2], valid=data[3] > 0.5)
    views, image_ids = [], []
    events = sorted(
        session.view_events.select_related("image"), key=lambda e: e.t_ms + offsets.get(e.stream, 0.0)
    )
    for event in events:
        views.append(
            gc.View(
                t_ms=event.t_ms + offsets.get(event.stream, 0.0),
                image_region=tuple(event.image_region),
                screen_rect=tuple(event.screen_rect),
                image_shape=(event.image.rows, event.image.columns),
                window_width=event.window_width,
                window_level=event.window_level,
                zoom=event.zoom,
            )
        )
        image_ids.append(event.image_id)
    return SessionGaze(samples=samples, views=views, view_image_ids=image_ids)


def screen_geometry(*, session: ReadingSession) -> gc.ScreenGeometry:
    """The session's screen geometry, or the installation's default."""
    values = {**settings.READING_DEFAULT_SCREEN, **(session.screen or {})}
    return gc.ScreenGeometry(
        width_px=int(values["width_px"]),
        height_px=int(values["height_px"]),
        width_mm=float(values["width_mm"]),
        height_mm=float(values["height_mm"]),
        distance_mm=float(values["distance_mm"]),
    )


def _image_px_per_screen_px(view: gc.View) -> float:
    x0, y0, x1, y1 = view.image_region
    sx0, sy0, sx1, sy1 = view.screen_rect
    return float(np.sqrt(((x1 - x0) / (sx1 - sx0)) * ((y1 - y0) / (sy1 - sy0))))


def gaze_prior(
    *,
    x_img: np.ndarray,
    y_img: np.ndarray,
    duration_ms: np.ndarray,
    view_index: np.ndarray,
    views: list[gc.View],
    image_shape: tuple[int, int],
    pixels_per_degree: float,
    downsample: int = 1,
) -> np.ndarray:
    """The duration-weighted prior over the image, float32 summing to 1, of shape
    :func:`prior_shape` ``(image_shape, downsample)`` (positions and regions stay in image pixels).

    Fixations are grouped by the view they fell in: each group gets its own sigma (1 degree at that view's
    zoom) and its own on-screen region; groups are weighted by their total fixation duration.
    """
    prior = np.zeros(prior_shape(image_shape, downsample), dtype=np.float64)
    total = float(duration_ms.sum())
    for index in np.unique(view_index):
        member = view_index == index
        view = views[int(index)]
        part = gc.fixation_prior(
            x_img[member],
            y_img[member],
            duration_ms[member],
            image_shape=image_shape,
            sigma_px=pixels_per_degree * _image_px_per_screen_px(view),
            region=view.image_region,
            downsample=int(downsample),
        )
        prior += part * (float(duration_ms[member].sum()) / total)
    prior /= prior.sum()
    return prior.astype(np.float32)


def analysis_run(*, session_id: int) -> GazeAnalysis | None:
    """Detect fixations and build the gaze prior of a submitted session. None if the session is gone.

    Failures are stored on the analysis with their reason (and re-raised for the worker's log). Idempotent:
    an analysis already done or failed is returned as it is (a message delivered twice), and one pending
    or running is computed again from the stored gaze (a worker lost mid-way).
    """
    session = ReadingSession.objects.select_related("assignment__study").filter(pk=session_id).first()
    if session is None:
        return None
    analysis, _ = GazeAnalysis.objects.get_or_create(session=session)
    if analysis.status in {GazeAnalysis.Status.DONE, GazeAnalysis.Status.FAILED}:
        return analysis
    analysis.status = GazeAnalysis.Status.RUNNING
    analysis.save(update_fields=["status", "updated_at"])
    try:
        return _analyse(session, analysis)
    except Exception as exc:
        analysis.status = GazeAnalysis.Status.FAILED
        analysis.error = f"{type(exc).__name__}: {exc}"
        analysis.save(update_fields=["status", "error", "updated_at"])
        raise
    finally:
        results_push_on_commit(session_id=session.pk)  # the reader's page updates without polling


def _analyse(session: ReadingSession, analysis: GazeAnalysis) -> GazeAnalysis:
    image = session_image(session=session)
    gaze = session_gaze(session=session)
    detector = settings.GAZE_FIXATION_DETECTOR
    analysis.detector = detector
    analysis.image = image
    if gaze is None or image is None:
        analysis.status = GazeAnalysis.Status.DONE
        analysis.error = "no gaze was recorded" if gaze is None else "the study has no image"
        analysis.fixation_count = 0
        analysis.save()
        return analysis

    geometry = screen_geometry(session=session)
    samples = gaze.samples
    fixations = gc.detect(detector, samples, pixels_per_degree=geometry.pixels_per_degree)
    mid_t = (fixations.onset_ms + fixations.offset_ms) / 2.0
    fx_img, fy_img, f_on, f_view = gc.map_to_image(fixations.x, fixations.y, mid_t, gaze.views)
    _, _, s_on, _ = gc.map_to_image(samples.x, samples.y, samples.t_ms, gaze.views)
    on_this_image = f_on & np.isin(f_view, [i for i, v in enumerate(gaze.view_image_ids) if v == image.pk])

    prior_name = heat_name = ""
    downsample = prior_downsample_of((image.rows, image.columns))
    if on_this_image.any():
        prior = gaze_prior(
            x_img=fx_img[on_this_image],
            y_img=fy_img[on_this_image],
            duration_ms=fixations.duration_ms[on_this_image],
            view_index=f_view[on_this_image],
            views=gaze.views,
            image_shape=(image.rows, image.columns),
            pixels_per_degree=geometry.pixels_per_degree,
            downsample=downsample,
        )
        prior_name = f"gaze/session-{session.pk}/prior.npy"
        heat_name = f"gaze/session-{session.pk}/heatmap.png"
        media_write(prior_name, npy_bytes(prior))
        media_write(heat_name, heatmap_png(prior))
        sentence_priors_store(
            session=session, image=image, x_img=fx_img[on_this_image], y_img=fy_img[on_this_image],
            onset_ms=fixations.onset_ms[on_this_image], offset_ms=fixations.offset_ms[on_this_image],
            view_index=f_view[on_this_image], views=gaze.views,
            sigma_px_of_view=[geometry.pixels_per_degree * _image_px_per_screen_px(v) for v in gaze.views],
            downsample=downsample,
        )  # fmt: skip

    view_image = np.array(gaze.view_image_ids, dtype=np.int64)
    rows = [
        Fixation(
            session=session,
            index=i,
            onset_ms=float(fixations.onset_ms[i]),
            offset_ms=float(fixations.offset_ms[i]),
            duration_ms=float(fixations.duration_ms[i]),
            x_screen=float(fixations.x[i]),
            y_screen=float(fixations.y[i]),
            image_id=int(view_image[f_view[i]]) if f_on[i] else None,
            x_image=float(fx_img[i]) if f_on[i] else None,
            y_image=float(fy_img[i]) if f_on[i] else None,
        )
        for i in range(len(fixations))
    ]
    with transaction.atomic():
        # Two runs of one analysis (a redelivered message) write one after the other, never interleaved.
        GazeAnalysis.objects.select_for_update().filter(pk=analysis.pk).first()
        Fixation.objects.filter(session=session).delete()
        Fixation.objects.bulk_create(rows, batch_size=1000)
        n = len(samples.t_ms)
        analysis.sample_count = n
        analysis.valid_fraction = float(samples.valid.mean()) if n else None
        analysis.on_image_fraction = float((s_on & samples.valid).sum() / max(int(samples.valid.sum()), 1))
        analysis.fixation_count = len(rows)
        analysis.prior_file = prior_name
        analysis.prior_downsample = downsample
        analysis.heatmap_file = heat_name
        analysis.status = GazeAnalysis.Status.DONE
        analysis.error = "" if prior_name else "no fixation fell on the image"
        analysis.save()
    return analysis
