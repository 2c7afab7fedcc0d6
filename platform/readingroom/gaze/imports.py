"""Import of public gaze data sets (REFLACX, EGD-CXR) onto the images they were recorded on.

Each recording (one reader reading one image) becomes a submitted :class:`ReadingSession` of a reader user
named after the source's reader (``reflacx:<reader>``, ``egdcxr:<reader>``; role reader, no usable
password), on an assignment of the image's study in one reading project per source ("REFLACX import",
"EGD-CXR import"). Its parts:

- raw samples as :class:`GazeChunk` s in screen pixels on the device clock, one stream per recording
  (``reflacx:<id>``, ``egdcxr:<DICOM_ID>``), as if a tracker had sent them;
- one :class:`ViewEvent` per distinct displayed state (image region and its screen rectangle), so that the
  platform's own mapping from screen to image pixels applies;
- the file's fixations as :class:`Fixation` rows (screen and image pixels) - not detected again;
- a :class:`GazeAnalysis` whose prior is built by :func:`readingroom.gaze.analysis.gaze_prior`;
- the transcription as the :class:`Report`, labelled by the project's CheXpert labeler.

Images are matched by their ``dataset_image_id`` (``mimic:<dicom_id>``, as the MIMIC-CXR-JPG layout stores
it, or the bare id). Files that match no image, or that cannot be read, are per-recording errors; the rest is
imported. A recording imported before (same stream on a session of the same reader and image) is skipped.
The readers and the geometry are :mod:`gaze_capture`'s; the source formats are those of its
:mod:`gaze_capture.formats.reflacx` and :mod:`gaze_capture.formats.egdcxr`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

import gaze_capture as gc
from readingroom.core.exceptions import InvalidInput
from readingroom.core.files import media_write
from readingroom.core.heatmap import heatmap_png, npy_bytes
from readingroom.core.models import Role, User
from readingroom.gaze.analysis import gaze_prior
from readingroom.gaze.models import Fixation, GazeAnalysis, GazeChunk
from readingroom.gaze.prior_scale import prior_downsample_of
from readingroom.reading.models import Assignment, ReadingProject, ReadingSession, Report, ViewEvent
from readingroom.studies.models import Image

# Samples per stored chunk (a tracker's batch is about this size too).
CHUNK_SAMPLES = 4096
# Nominal viewing distance used to express a source's pixels per degree as a screen geometry (mm): the
# physical screen size is then chosen so that the geometry gives exactly the source's pixels per degree.
NOMINAL_DISTANCE_MM = 650.0

PROJECT_NAMES = {"reflacx": "REFLACX import", "egdcxr": "EGD-CXR import"}


@dataclass(frozen=True)
class Recording:
    """One recording read from a source, in the platform's terms (times in device ms).

    Parameters
    ----------
    key : str
        The stream id of its chunks and view events (at most 64 characters), unique per recording.
    item : str
        What to name in an error (a folder or ``file#DICOM_ID``).
    image : Image
        The imported image it was recorded on.
    reader : str
        The source's reader id.
    t_ms, x_screen, y_screen, valid : ndarray, shape (n,)
        Raw samples: device time (ms), screen pixels, validity.
    views : list of View
        Viewer states in screen pixels; ``fixation_view`` (shape (k,)) says which applied to each fixation.
    fixations : Fixations
        The file's fixations, image pixels (ms).
    fix_x_screen, fix_y_screen : ndarray, shape (k,)
        The same fixations in screen pixels.
    screen : dict
        Screen geometry (``width_px``, ``height_px``, ``width_mm``, ``height_mm``, ``distance_mm``).
    text : str
        The transcribed report.
    """

    key: str
    item: str
    image: Image
    reader: str
    t_ms: np.ndarray
    x_screen: np.ndarray
    y_screen: np.ndarray
    valid: np.ndarray
    views: list[gc.View]
    fixations: gc.Fixations
    fixation_view: np.ndarray
    fix_x_screen: np.ndarray
    fix_y_screen: np.ndarray
    screen: dict
    text: str
    sentences: list[tuple[str, float, float]] = field(default_factory=list)  # dictated sentences, ms spans


@dataclass
class GazeImportReport:
    """What an import did: counts, the sessions created, and ``{"item", "error"}`` per failed recording."""

    imported: int = 0
    skipped: int = 0
    failed: int = 0
    sessions: list[int] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)

    def fail(self, item: str, error: str) -> None:
        self.failed += 1
        self.errors.append({"item": item, "error": error})


def screen_from_ppd(*, ppd_x: float, ppd_y: float, width_px: int, height_px: int) -> dict[str, float]:
    """A screen geometry (px, mm, viewing distance) whose pixels per degree are ``ppd_x``/``ppd_y``.

    The distance is :data:`NOMINAL_DISTANCE_MM`; the physical size follows from one pixel subtending
    ``1/ppd`` degrees at the screen centre.
    """
    for name, value in (("ppd_x", ppd_x), ("ppd_y", ppd_y)):
        if not (math.isfinite(value) and value > 0):
            raise InvalidInput(f"{name} (pixels per degree) must be a positive number, got {value!r}")
    mm_per_px_x = 2.0 * NOMINAL_DISTANCE_MM * math.tan(math.radians(1.0 / ppd_x) / 2.0)
    mm_per_px_y = 2.0 * NOMINAL_DISTANCE_MM * math.tan(math.radians(1.0 / ppd_y) / 2.0)
    return {
        "width_px": float(width_px),
        "height_px": float(height_px),
        "width_mm": width_px * mm_per_px_x,
        "height_mm": height_px * mm_per_px_y,
        "distance_mm": NOMINAL_DISTANCE_MM,
    }


def image_by_dataset_id(*, dicom_id: str) -> Image | None:
    """The imported image whose ``dataset_image_id`` is ``mimic:<dicom_id>`` or ``dicom_id`` itself, or whose
    (platform) SOP Instance UID is ``dicom_id`` (as the platform's own REFLACX export writes it)."""
    dicom_id = dicom_id.strip()
    if not dicom_id:
        return None
    return (
        Image.objects.filter(Q(dataset_image_id__in=[f"mimic:{dicom_id}", dicom_id]) | Q(sop_uid=dicom_id))
        .select_related("study")
        .order_by("id")
        .first()
    )


def _reader_user(source: str, reader: str) -> User:
    username = f"{source}:{reader}"[:150]
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, roles=[Role.READER.value])
        user.set_unusable_password()
        user.save()
    return user


def _store(source: str, rec: Recording, report: GazeImportReport) -> None:
    """Write one recording's session, chunks, view events, fixations, report and analysis (atomically)."""
    from readingroom.curation.labeler import report_label

    image = rec.image
    rows, cols = image.rows, image.columns
    views = [
        gc.View(v.t_ms, v.image_region, v.screen_rect, (rows, cols), v.window_width, v.window_level, v.zoom)
        for v in rec.views
    ]
    screen_px = gc.ScreenGeometry(**{k: rec.screen[k] for k in ("width_px", "height_px", "width_mm",
                                                                 "height_mm", "distance_mm")})  # fmt: skip
    ppd = screen_px.pixels_per_degree
    f = rec.fixations
    inside = np.zeros(len(f), dtype=bool)
    for i in range(len(f)):
        x0, y0, x1, y1 = views[int(rec.fixation_view[i])].visible_region()
        inside[i] = np.isfinite(f.x[i]) and x0 <= f.x[i] < x1 and y0 <= f.y[i] < y1 and f.duration_ms[i] > 0
    with transaction.atomic():
        project, _ = ReadingProject.objects.get_or_create(
            name=PROJECT_NAMES[source], defaults={"description": f"Recordings imported from {source} files"}
        )
        reader = _reader_user(source, rec.reader)
        assignment, _ = Assignment.objects.get_or_create(
            project=project, reader=reader, study=image.study, defaults={"status": Assignment.Status.DONE}
        )
        if ReadingSession.objects.filter(assignment=assignment, view_events__stream=rec.key).exists():
            report.skipped += 1
            return
        if assignment.status != Assignment.Status.DONE:
            Assignment.objects.filter(pk=assignment.pk).update(status=Assignment.Status.DONE)
        session = ReadingSession.objects.create(
            assignment=assignment,
            reader=reader,
            status=ReadingSession.Status.SUBMITTED,
            submitted_at=timezone.now(),
            screen=rec.screen,
        )
        data = np.stack([rec.t_ms, rec.x_screen, rec.y_screen, rec.valid.astype(np.float64)])
        chunks = []
        for seq, start in enumerate(range(0, data.shape[1], CHUNK_SAMPLES)):
            part = np.ascontiguousarray(data[:, start : start + CHUNK_SAMPLES], dtype="<f8")
            chunks.append(GazeChunk(session=session, stream=rec.key, seq=seq, device=source,
                                    n_samples=part.shape[1], t_first_ms=float(part[0, 0]),
                                    t_last_ms=float(part[0, -1]), data=part.tobytes()))  # fmt: skip
        GazeChunk.objects.bulk_create(chunks)
        ViewEvent.objects.bulk_create([
            ViewEvent(session=session, stream=rec.key, seq=i, t_ms=v.t_ms, image=image,
                      image_region=list(v.image_region), screen_rect=list(v.screen_rect),
                      window_width=v.window_width, window_level=v.window_level, zoom=v.zoom)
            for i, v in enumerate(views)
        ])  # fmt: skip
        Fixation.objects.bulk_create([
            Fixation(session=session, index=i, onset_ms=float(f.onset_ms[i]), offset_ms=float(f.offset_ms[i]),
                     duration_ms=float(f.duration_ms[i]), x_screen=float(rec.fix_x_screen[i]),
                     y_screen=float(rec.fix_y_screen[i]), image=image if inside[i] else None,
                     x_image=float(f.x[i]) if inside[i] else None, y_image=float(f.y[i]) if inside[i] else None)
            for i in range(len(f))
        ])  # fmt: skip
        text = rec.text.strip()
        if text:
            spans = [{"text": t, "start_ms": a, "end_ms": b} for t, a, b in rec.sentences]
            Report.objects.create(session=session, findings=text, impression="", labels=report_label(text),
                                  sentence_spans=spans)  # fmt: skip
        prior_name = heat_name = ""
        downsample = prior_downsample_of((rows, cols))
        if inside.any():
            prior = gaze_prior(
                x_img=f.x[inside],
                y_img=f.y[inside],
                duration_ms=f.duration_ms[inside],
                view_index=rec.fixation_view[inside],
                views=views,
                image_shape=(rows, cols),
                pixels_per_degree=ppd,
                downsample=downsample,
            )
            prior_name = f"gaze/session-{session.pk}/prior.npy"
            heat_name = f"gaze/session-{session.pk}/heatmap.png"
            media_write(prior_name, npy_bytes(prior))
            media_write(heat_name, heatmap_png(prior))
        n = int(rec.t_ms.size)
        s_on = np.zeros(n, dtype=bool)
        if n:
            s_on = gc.map_to_image(rec.x_screen, rec.y_screen, rec.t_ms, views)[2]
        valid = rec.valid.astype(bool)
        GazeAnalysis.objects.create(
            session=session,
            status=GazeAnalysis.Status.DONE,
            detector=f"{source}-file",
            sample_count=n,
            valid_fraction=float(valid.mean()) if n else None,
            on_image_fraction=float((s_on & valid).sum() / max(int(valid.sum()), 1)) if n else None,
            fixation_count=len(f),
            image=image,
            prior_file=prior_name,
            prior_downsample=downsample,
            heatmap_file=heat_name,
            error="" if prior_name else "no fixation fell on the image",
        )
    report.imported += 1
    report.sessions.append(session.pk)


def _import(source: str, recordings: Iterator[Recording | tuple[str, str]]) -> GazeImportReport:
    report = GazeImportReport()
    for rec in recordings:
        if isinstance(rec, tuple):
            report.fail(*rec)
            continue
        try:
            _store(source, rec, report)
        except (gc.GazeCaptureError, InvalidInput, ValueError) as exc:
            report.fail(rec.item, f"{type(exc).__name__}: {exc}")
    return report


def gaze_import(*, fmt: str, path: Path | str) -> GazeImportReport:
    """Import a REFLACX (``fmt="reflacx"``) or EGD-CXR (``fmt="egdcxr"``) folder; see the module docstring.

    Parameters
    ----------
    fmt : {"reflacx", "egdcxr"}
    path : str or Path
        REFLACX: the data set folder (``main_data/metadata_phase_*.csv`` and ``main_data/<id>/``), its
        ``main_data`` folder, or one case folder beside a metadata CSV. EGD-CXR: the folder of
        ``fixations.csv`` (or the file itself), with ``audio_segmentation_transcripts/<DICOM_ID>/
        transcript.json`` where present.

    Raises
    ------
    InvalidInput
        An unknown format or a path that does not exist.
    """
    from readingroom.gaze.import_sources import egdcxr_recordings, reflacx_recordings

    sources: dict[str, Callable[..., Iterator[Recording | tuple[str, str]]]] = {
        "reflacx": reflacx_recordings,
        "egdcxr": egdcxr_recordings,
    }
    if fmt not in sources:
        raise InvalidInput(f"format must be one of {', '.join(sources)}, got {fmt!r}")
    p = Path(path)
    if not p.exists():
        raise InvalidInput(f"{p}: not found")
    return _import(fmt, sources[fmt](p, lookup=lambda dicom_id: image_by_dataset_id(dicom_id=dicom_id)))


def default_screen_px() -> tuple[int, int]:
    """The installation's default screen resolution (width, height) in pixels."""
    return int(settings.READING_DEFAULT_SCREEN["width_px"]), int(settings.READING_DEFAULT_SCREEN["height_px"])
