"""A frozen dataset version's gaze reads in REFLACX's own layout and units.

```
main_data/metadata_phase_3.csv          one row per reading (id, split, image, dicom_id, subject_id, sizes, labels)
main_data/<id>/fixations.csv            fixations in image pixels, seconds from the start of the reading
main_data/<id>/transcription.txt        the reader's report (findings, then impression)
main_data/<id>/timestamps_transcription.csv  words with start/end seconds (where sentence spans were recorded)
gaze_data/<id>/gaze.csv                 raw samples in image pixels (empty positions where the eye was lost)
images/<image_id>.dcm | .png            the de-identified DICOM (or the PNG rendering of a bitmap import)
```

Conventions, as REFLACX documents them:
- a reading is one reader's read of one image; its id is ``P3<reader, 2 digits>R<6 digits>``, the form the
  project's REFLACX importer parses (phase 3, the main phase's label set);
- times are seconds from the start of the reading: the first view of the image in the session;
- ``window_level`` and ``window_width`` are normalised to the stored range: the stored values divided by
  ``2 ** BitsStored`` (REFLACX divided by 4096 for its 12-bit images), so that
  ``shown = (image / 2**bits - level) / width + 0.5``;
- ``angular_resolution_{x,y}_pixels_per_degree`` are IMAGE pixels per degree at the zoom of that row's view
  (screen pixels per degree times image pixels per screen pixel), so a Gaussian of that sigma around each
  fixation gives the same heatmap as the platform's prior;
- labels: the reader's CheXpert-style observations mapped onto phase 3's columns (certainty 5 "present",
  3 "uncertain", 0 otherwise; two observations that share a column take the higher certainty); observations
  without a column go to ``Other`` separated by ``|``. Columns the platform does not produce
  (``anomaly_location_ellipses.csv``, ``chest_bounding_box.csv``) are not written.

Two extra metadata columns, ``platform_session_id`` and ``platform_image_id``, tie each reading back to the
platform; tools that select columns by name ignore them.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

import gaze_capture as gc
from gaze_capture.formats import write_reflacx_fixations, write_reflacx_gaze, write_reflacx_transcription
from readingroom.curation.exports.common import copy_display, copy_media, output_folder, version_items
from readingroom.curation.exports.gaze_files import session_fixations, view_index_at
from readingroom.curation.exports.transcripts import session_words
from readingroom.curation.models import DatasetVersion
from readingroom.gaze.analysis import screen_geometry, session_gaze
from readingroom.reading.models import ReadingSession, Report
from readingroom.studies.models import Image
from readingroom.studies.pixels import image_window

PHASE = 3
LABEL_COLUMNS = (
    "Abnormal mediastinal contour", "Acute fracture", "Atelectasis", "Consolidation",
    "Enlarged cardiac silhouette", "Enlarged hilum", "Groundglass opacity", "Hiatal hernia",
    "High lung volume / emphysema", "Interstitial lung disease", "Lung nodule or mass", "Pleural abnormality",
    "Pneumothorax", "Pulmonary edema",
)  # fmt: skip
FROM_OBSERVATION = {
    "Enlarged Cardiomediastinum": "Abnormal mediastinal contour",
    "Fracture": "Acute fracture",
    "Atelectasis": "Atelectasis",
    "Consolidation": "Consolidation",
    "Cardiomegaly": "Enlarged cardiac silhouette",
    "Lung Lesion": "Lung nodule or mass",
    "Pleural Effusion": "Pleural abnormality",
    "Pleural Other": "Pleural abnormality",
    "Pneumothorax": "Pneumothorax",
    "Edema": "Pulmonary edema",
}
CERTAINTY = {"present": 5, "uncertain": 3}
METADATA_COLUMNS = (
    "id", "split", "eye_tracking_data_discarded", "image", "dicom_id", "subject_id", "image_size_x",
    "image_size_y", *LABEL_COLUMNS, "Support devices", "Other", "platform_session_id", "platform_image_id",
)  # fmt: skip
_SPLITS = {"train": "train", "val": "validate", "test": "test"}


def reflacx_labels(labels: dict[str, str]) -> dict[str, object]:
    """Phase-3 label columns (certainty 0-5, ``Support devices`` boolean, ``Other``) from observation states."""
    out: dict[str, object] = dict.fromkeys(LABEL_COLUMNS, 0)
    other = []
    for name, state in labels.items():
        certainty = CERTAINTY.get(state, 0)
        if name in FROM_OBSERVATION:
            column = FROM_OBSERVATION[name]
            out[column] = max(int(out[column]), certainty)
        elif name != "Support Devices" and name != "No Finding" and certainty:
            other.append(name)
    out["Support devices"] = labels.get("Support Devices") in CERTAINTY
    out["Other"] = "|".join(other)
    return out


def normalised_window(image: Image, width: float | None, level: float | None) -> tuple[float, float]:
    """REFLACX's window (width, level) in units of the stored range from a window in modality units."""
    if width is None or level is None:
        level, width = image_window(image)
    full = float(2 ** int(image.bits_stored))
    slope = image.rescale_slope or 1.0
    return (width / slope) / full, ((level - image.rescale_intercept) / slope) / full


def _reflacx_views(views: list[gc.View], image: Image, t0_ms: float) -> list[gc.View]:
    """Views with REFLACX's normalised windows and times relative to ``t0_ms`` (rectangles unchanged)."""
    out = []
    for v in views:
        width, level = normalised_window(image, v.window_width, v.window_level)
        out.append(
            gc.View(v.t_ms - t0_ms, v.image_region, v.screen_rect, v.image_shape, width, level, v.zoom)
        )
    return out


def image_ppd(views: list[gc.View], index: np.ndarray, ppd_x: float, ppd_y: float) -> tuple[np.ndarray, ...]:
    """Image pixels per degree per row: screen pixels per degree times image pixels per screen pixel."""
    scale = np.array([v.scale for v in views], dtype=np.float64).reshape(-1, 2)
    return ppd_x * scale[index, 0], ppd_y * scale[index, 1]


def reading_write(*, session: ReadingSession, image: Image, main: Path, gaze_root: Path) -> dict | None:
    """Write one reading's files (``main/fixations.csv``, transcription, ``gaze_root/gaze.csv``).

    Returns the time origin and what was written, or None where the session never showed the image.
    """
    gaze = session_gaze(session=session)
    if gaze is None:
        return None
    shown = [i for i, image_id in enumerate(gaze.view_image_ids) if image_id == image.pk]
    if not shown:
        return None
    t0 = gaze.views[shown[0]].t_ms
    geometry = screen_geometry(session=session)
    relative = _reflacx_views(gaze.views, image, t0)
    main.mkdir(parents=True, exist_ok=True)
    fixations = session_fixations(session=session, image=image)
    fixations = gc.Fixations(onset_ms=fixations.onset_ms - t0, offset_ms=fixations.offset_ms - t0,
                             duration_ms=fixations.duration_ms, x=fixations.x, y=fixations.y)  # fmt: skip
    index = view_index_at(relative, (fixations.onset_ms + fixations.offset_ms) / 2.0)
    px, py = image_ppd(relative, index, geometry.ppd_x, geometry.ppd_y)
    write_reflacx_fixations(main / "fixations.csv", fixations, views=relative, view_index=index, ppd_x=px,
                            ppd_y=py)  # fmt: skip
    s = gaze.samples
    x_img, y_img, on_image, sample_view = gc.map_to_image(s.x, s.y, s.t_ms, gaze.views)
    this_image = np.isin(sample_view, shown)
    valid = s.valid & on_image & this_image
    px, py = image_ppd(relative, np.clip(sample_view, 0, None), geometry.ppd_x, geometry.ppd_y)
    keep = this_image & (s.t_ms >= t0)
    mapped = gc.Samples.from_arrays(s.t_ms[keep] - t0, x_img[keep], y_img[keep], valid=valid[keep])
    gaze_root.mkdir(parents=True, exist_ok=True)
    write_reflacx_gaze(gaze_root / "gaze.csv", mapped, views=relative, view_index=sample_view[keep],
                       ppd_x=np.where(valid[keep], px[keep], np.nan),
                       ppd_y=np.where(valid[keep], py[keep], np.nan))  # fmt: skip
    report = Report.objects.filter(session=session).first()
    text = "\n".join(t for t in (report.findings, report.impression) if t) if report else ""
    (main / "transcription.txt").write_text(text, encoding="utf-8")
    words = session_words(session=session, t0_ms=t0)
    if words:
        write_reflacx_transcription(main / "timestamps_transcription.csv", words)
    return {"t0_ms": t0, "labels": report.labels if report else {}}


def _reader_numbers(sessions: list[ReadingSession]) -> dict[int, int]:
    readers = sorted({s.reader_id for s in sessions})
    if len(readers) > 99:
        raise ValueError(
            f"REFLACX ids hold two-digit reader numbers; this version has {len(readers)} readers"
        )
    return {reader: n for n, reader in enumerate(readers, start=1)}


def version_export_reflacx(*, version: DatasetVersion, root: Path | str) -> list[Path]:
    """Write ``version``'s gaze reads in REFLACX's layout into the empty folder ``root``; returns the files."""
    root = output_folder(root)
    pairs = []
    for item, image in version_items(version):
        for session in ReadingSession.objects.filter(pk__in=item.get("gaze_sessions") or []).order_by("pk"):
            pairs.append((item, image, session))
    numbers = _reader_numbers([s for _, _, s in pairs])
    rows = []
    for n, (item, image, session) in enumerate(pairs, start=1):
        reading_id = f"P{PHASE}{numbers[session.reader_id]:02d}R{n:06d}"
        written = reading_write(session=session, image=image, main=root / "main_data" / reading_id,
                                gaze_root=root / "gaze_data" / reading_id)  # fmt: skip
        if written is None:
            continue
        image_file = f"images/{image.pk}.dcm" if image.dicom_file else f"images/{image.pk}.png"
        if not (root / image_file).exists() and image.dicom_file:
            copy_media(image.dicom_file, root / image_file)
        elif not (root / image_file).exists():
            copy_display(image, root / image_file)
        labels = written["labels"] or item["labels"]
        dicom_id = image.dataset_image_id.removeprefix("mimic:") or image.sop_uid
        rows.append({
            "id": reading_id, "split": _SPLITS.get(item["split"], item["split"]),
            "eye_tracking_data_discarded": False, "image": image_file, "dicom_id": dicom_id,
            "subject_id": item["patient"], "image_size_x": image.columns, "image_size_y": image.rows,
            **reflacx_labels(labels), "platform_session_id": session.pk, "platform_image_id": image.pk,
        })  # fmt: skip
    metadata = root / "main_data" / f"metadata_phase_{PHASE}.csv"
    metadata.parent.mkdir(exist_ok=True)
    with metadata.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=METADATA_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return sorted(p for p in root.rglob("*") if p.is_file())
