"""Reading REFLACX and EGD-CXR folders into :class:`~readingroom.gaze.imports.Recording` s.

Each generator yields a recording, or ``(item, error)`` for one that cannot be read or matches no image.

REFLACX (times in s, positions in image pixels, the viewer state on every row): ``metadata_phase_*.csv``
(``id``, ``dicom_id``; an optional ``reader`` column, else the reader number in ids of the form
``P<phase><2-digit reader>R...``; rows with ``eye_tracking_data_discarded`` true and no folder are passed
over) beside case folders ``<id>/`` holding ``fixations.csv``, ``timestamps_transcription.csv`` and
``transcription.txt``; the raw ``gaze.csv`` is in ``gaze_data/<id>/`` beside ``main_data/`` (as REFLACX is
distributed) or in the case folder. Image pixels are put back into screen pixels with each row's own
displayed region and screen rectangle (``image_to_screen``). REFLACX's angular resolution is in IMAGE
pixels per degree at that row's zoom: the screen's pixels per degree are that times the row's screen pixels
per image pixel. Its window level and width are normalised to the stored range (``value / 2**BitsStored``)
and are stored back in modality units.

EGD-CXR (Gazepoint exports): ``fixations.csv`` with ``SESSION_ID``, ``DICOM_ID``, ``TIME``, ``FPOGX``,
``FPOGY`` (normalised screen units), ``FPOGD``, ``FPOGID``, ``FPOGV``, ``X_ORIGINAL``, ``Y_ORIGINAL``; an
optional ``eye_gaze.csv`` with the same columns per sample (else the fixation rows are the raw samples);
``audio_segmentation_transcripts/<DICOM_ID>/transcript.json``. The files give no viewer geometry, so the
displayed rectangle is fitted (least squares, per axis) to the fixations' screen and original-image
positions, and the screen is the installation's default (``READING_DEFAULT_SCREEN``).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

import gaze_capture as gc
from gaze_capture.formats import (
    read_egdcxr_fixations,
    read_egdcxr_transcript,
    read_reflacx_fixations,
    read_reflacx_gaze,
    read_reflacx_transcription,
)
from gaze_capture.formats._csv import column_float, read_table
from gaze_capture.formats.egdcxr import EGD_COLUMNS
from gaze_capture.transcripts import sentence_spans
from readingroom.core.exceptions import InvalidInput
from readingroom.gaze.imports import Recording, default_screen_px, screen_from_ppd
from readingroom.studies.models import Image

Lookup = Callable[[str], Image | None]
_READER_IN_ID = re.compile(r"^P\d(\d{2})R")
_TRUE = {"true", "1", "yes"}


def _reflacx_metadata(path: Path) -> tuple[list[Path], str | None]:
    """The metadata CSVs for ``path`` and, for a case folder, its id."""
    if (path / "fixations.csv").is_file():
        return sorted(path.parent.glob("metadata*.csv")), path.name
    for folder in (path, path / "main_data"):
        found = sorted(folder.glob("metadata*.csv"))
        if found:
            return found, None
    return [], None


def _to_screen(x: np.ndarray, y: np.ndarray, views: list[gc.View], index: np.ndarray):
    sx, sy = np.full(x.shape, np.nan), np.full(y.shape, np.nan)
    for i, view in enumerate(views):
        member = index == i
        sx[member], sy[member] = gc.image_to_screen(x[member], y[member], view)
    return sx, sy


def _modality_window(view: gc.View, image: Image) -> gc.View:
    """``view`` with REFLACX's normalised window (fractions of ``2**BitsStored``) in modality units."""
    if view.window_width is None or view.window_level is None:
        return view
    full = float(2 ** int(image.bits_stored)) * (image.rescale_slope or 1.0)
    width, level = view.window_width * full, view.window_level * full + image.rescale_intercept
    return gc.View(view.t_ms, view.image_region, view.screen_rect, view.image_shape, width, level, view.zoom)


def _spans(words) -> list[tuple[str, float, float]]:
    """Dictated words (or phrases) grouped into sentences with their time spans, ms on the recording clock."""
    return [(s.text, float(s.start_ms), float(s.end_ms)) for s in sentence_spans(words)] if words else []


def _reflacx_case(folder: Path, case_id: str, reader: str, image: Image) -> Recording:
    shape = (image.rows, image.columns)
    fx = read_reflacx_fixations(folder / "fixations.csv", image_shape=shape)
    if not fx.views:
        raise gc.FormatError("no fixations", path=folder / "fixations.csv")
    fix_sx, fix_sy = _to_screen(fx.fixations.x, fx.fixations.y, fx.views, fx.view_index)
    gaze_file = next((p for p in (folder / "gaze.csv", folder.parent.parent / "gaze_data" / case_id / "gaze.csv")
                      if p.is_file()), None)  # fmt: skip
    if gaze_file is not None:
        gz = read_reflacx_gaze(gaze_file, image_shape=shape)
        s = gz.samples
        t, valid = s.t_ms, s.valid & np.isfinite(s.x) & np.isfinite(s.y)
        sx, sy = _to_screen(s.x, s.y, gz.views, gz.view_index)
        views = gz.views or fx.views
    else:
        views = fx.views
        t = np.empty(0)
        sx = sy = t
        valid = np.zeros(0, bool)
    sx, sy = np.where(valid, sx, 0.0), np.where(valid, sy, 0.0)
    if views is fx.views:
        fixation_view = fx.view_index
    else:
        mid = (fx.fixations.onset_ms + fx.fixations.offset_ms) / 2.0
        starts = np.array([v.t_ms for v in views])
        fixation_view = np.clip(np.searchsorted(starts, mid, side="right") - 1, 0, None).astype(np.intp)
    scale = np.array([v.scale for v in fx.views], dtype=np.float64).reshape(-1, 2)[fx.view_index]
    ppd_x, ppd_y = float(np.nanmedian(fx.ppd_x / scale[:, 0])), float(np.nanmedian(fx.ppd_y / scale[:, 1]))
    views = [_modality_window(v, image) for v in views]
    width, height = default_screen_px()
    right = max(v.screen_rect[2] for v in views)
    bottom = max(v.screen_rect[3] for v in views)
    screen = screen_from_ppd(ppd_x=ppd_x, ppd_y=ppd_y, width_px=max(width, int(np.ceil(right))),
                             height_px=max(height, int(np.ceil(bottom))))  # fmt: skip
    text, words = "", []
    if (folder / "timestamps_transcription.csv").is_file():
        words = read_reflacx_transcription(folder / "timestamps_transcription.csv")
        text = " ".join(w.word for w in words)
    if (folder / "transcription.txt").is_file():
        text = (folder / "transcription.txt").read_text(encoding="utf-8")
    return Recording(
        key=f"reflacx:{case_id}"[:64], item=str(folder), image=image, reader=reader, t_ms=t, x_screen=sx,
        y_screen=sy, valid=valid, views=list(views), fixations=fx.fixations, fixation_view=fixation_view,
        fix_x_screen=fix_sx, fix_y_screen=fix_sy, screen=screen, text=text, sentences=_spans(words),
    )  # fmt: skip


def reflacx_recordings(path: Path, *, lookup: Lookup) -> Iterator[Recording | tuple[str, str]]:
    """The REFLACX recordings under ``path`` (see the module docstring)."""
    metadata, only = _reflacx_metadata(path)
    if not metadata:
        yield str(path), "no metadata*.csv (with id and dicom_id columns) found here or in main_data/"
        return
    listed = False
    for meta in metadata:
        with meta.open(newline="", encoding="utf-8-sig") as fh:
            table = csv.DictReader(fh)
            missing = sorted({"id", "dicom_id"} - set(table.fieldnames or []))
            if missing:
                yield str(meta), f"missing column(s) {', '.join(missing)}"
                continue
            rows = list(table)
        for row in rows:
            case_id = row["id"].strip()
            if only is not None and case_id != only:
                continue
            listed = True
            folder = meta.parent / case_id
            if not (folder / "fixations.csv").is_file():
                if (row.get("eye_tracking_data_discarded") or "").strip().lower() in _TRUE:
                    continue
                yield str(folder), "fixations.csv not found"
                continue
            image = lookup(row["dicom_id"])
            if image is None:
                yield str(folder), f"dicom_id {row['dicom_id']!r} matches no imported image"
                continue
            reader = (row.get("reader") or "").strip()
            if not reader:
                m = _READER_IN_ID.match(case_id)
                reader = m.group(1) if m else "unknown"
            try:
                yield _reflacx_case(folder, case_id, reader, image)
            except (gc.GazeCaptureError, InvalidInput, ValueError, OSError) as exc:
                yield str(folder), f"{type(exc).__name__}: {exc}"
    if only is not None and not listed:
        yield str(path), f"case {only!r} is not listed in {', '.join(m.name for m in metadata)}"


def _fit_axis(image_pos: np.ndarray, screen_pos: np.ndarray, size_img: int, size_screen: float):
    """Screen position of image coordinate 0 and of ``size_img`` (a least-squares line), or None."""
    ok = np.isfinite(image_pos) & np.isfinite(screen_pos)
    if ok.sum() < 2 or np.ptp(image_pos[ok]) <= 0:
        return None
    slope, offset = np.polyfit(image_pos[ok], screen_pos[ok], 1)
    if not slope > 0:
        return None
    return float(offset), float(offset + slope * size_img)


def _egd_view(t0: float, fx: gc.Fixations, sx, sy, image: Image, width: float, height: float) -> gc.View:
    rows, cols = image.rows, image.columns
    fit_x = _fit_axis(fx.x, sx, cols, width)
    fit_y = _fit_axis(fx.y, sy, rows, height)
    if fit_x is None or fit_y is None:  # too few fixations: the image fitted into the screen, centred
        scale = min(width / cols, height / rows)
        x0, y0 = (width - cols * scale) / 2.0, (height - rows * scale) / 2.0
        fit_x, fit_y = (x0, x0 + cols * scale), (y0, y0 + rows * scale)
    rect = (fit_x[0], fit_y[0], fit_x[1], fit_y[1])
    return gc.View(t_ms=t0, image_region=(0.0, 0.0, float(cols), float(rows)), screen_rect=rect,
                   image_shape=(rows, cols))  # fmt: skip


def _egd_raw(path: Path, dicom_id: str, width: float, height: float):
    head, body = read_table(path, EGD_COLUMNS)
    j = head.index("DICOM_ID")
    keep = [i for i, r in enumerate(body) if r[j] == dicom_id]
    rows = [body[i] for i in keep]
    t = column_float(path, head, rows, "TIME") * 1000.0
    x = column_float(path, head, rows, "FPOGX") * width
    y = column_float(path, head, rows, "FPOGY") * height
    valid = (column_float(path, head, rows, "FPOGV") == 1) & np.isfinite(x) & np.isfinite(y)
    return t, np.where(valid, x, 0.0), np.where(valid, y, 0.0), valid


def egdcxr_recordings(path: Path, *, lookup: Lookup) -> Iterator[Recording | tuple[str, str]]:
    """The EGD-CXR recordings (one per ``DICOM_ID``) of ``path`` (see the module docstring)."""
    folder = path.parent if path.is_file() else path
    fix_file = path if path.is_file() else path / "fixations.csv"
    try:
        by_image = read_egdcxr_fixations(fix_file)
    except gc.GazeCaptureError as exc:
        yield str(fix_file), f"{type(exc).__name__}: {exc}"
        return
    raw_file = folder / "eye_gaze.csv"
    width, height = (float(v) for v in default_screen_px())
    from django.conf import settings

    screen = {k: float(v) for k, v in settings.READING_DEFAULT_SCREEN.items()}
    for dicom_id, item in by_image.items():
        name = f"{fix_file}#{dicom_id}"
        image = lookup(dicom_id)
        if image is None:
            yield name, f"DICOM_ID {dicom_id!r} matches no imported image"
            continue
        try:
            f = item.fixations
            fsx, fsy = item.screen_x * width, item.screen_y * height
            t0 = float(f.onset_ms[0]) if len(f) else 0.0
            t, sx, sy, valid = _egd_raw(raw_file if raw_file.is_file() else fix_file, dicom_id, width, height)
            if t.size:
                t0 = min(t0, float(t[0]))
            view = _egd_view(t0, f, fsx, fsy, image, width, height)
            transcript = folder / "audio_segmentation_transcripts" / dicom_id / "transcript.json"
            text, words = read_egdcxr_transcript(transcript) if transcript.is_file() else ("", [])
            yield Recording(
                key=f"egdcxr:{dicom_id}"[:64], item=name, image=image, reader="radiologist", t_ms=t,
                x_screen=sx, y_screen=sy, valid=valid, views=[view], fixations=f,
                fixation_view=np.zeros(len(f), np.intp), fix_x_screen=fsx, fix_y_screen=fsy, screen=screen,
                text=text, sentences=_spans(words),
            )  # fmt: skip
        except (gc.GazeCaptureError, InvalidInput, ValueError, OSError) as exc:
            yield name, f"{type(exc).__name__}: {exc}"
