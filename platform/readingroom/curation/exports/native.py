"""The project's own export layout of a frozen dataset version.

```
manifest.json                  the version's manifest (as frozen) and its SHA-256
manifest.csv                   one row per image: ids, split, view, sex, size, files, the 14 labels
images/<image_id>.png          8-bit display rendering
pixels/<image_id>.npy          uint16 (rows, columns) stored values (modality = stored * slope + intercept)
dicom/<image_id>.dcm           the de-identified DICOM, where the image came from DICOM
reports/<study_id>.json        indication, history, findings, impression
gaze/<session_id>/samples.npy  float64 (4, n): device time ms, screen x px, screen y px, valid (0/1)
gaze/<session_id>/fixations.csv  onset/offset/duration ms, screen and image pixel positions, image id
gaze/<session_id>/prior_<image_id>.npy  float32 gaze prior, sums to 1, at the stored resolution:
                               (ceil(rows / f), ceil(columns / f)), stored pixel (i, j) the prior at the
                               centre of image pixels [i f, (i + 1) f) x [j f, (j + 1) f)
gaze/<session_id>/prior_<image_id>.json  {"downsample": f, "rows": rows, "columns": columns}
```
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

from readingroom.curation.exports.common import (
    copy_display,
    copy_media,
    media_path,
    output_folder,
    version_items,
)
from readingroom.curation.models import DatasetVersion
from readingroom.gaze.analysis import session_gaze
from readingroom.gaze.models import Fixation, GazeAnalysis
from readingroom.reading.models import OBSERVATIONS, ReadingSession
from readingroom.studies.pixels import image_pixels

_COLUMNS = ["image_id", "study_id", "patient", "split", "view_position", "modality", "sex", "rows", "columns",
            "source_sha256", "image", "pixels", "dicom", *OBSERVATIONS]  # fmt: skip


def _write_session(root: Path, session_id: int) -> None:
    session = ReadingSession.objects.filter(pk=session_id).first()
    folder = root / "gaze" / str(session_id)
    if session is None or folder.exists():
        return
    folder.mkdir(parents=True)
    gaze = session_gaze(session=session)
    if gaze is not None:
        s = gaze.samples
        np.save(folder / "samples.npy", np.stack([s.t_ms, s.x, s.y, s.valid.astype(np.float64)]))
    with (folder / "fixations.csv").open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["index", "onset_ms", "offset_ms", "duration_ms", "x_screen", "y_screen", "image_id",
                         "x_image", "y_image"])  # fmt: skip
        for f in Fixation.objects.filter(session=session).order_by("index"):
            writer.writerow([f.index, f.onset_ms, f.offset_ms, f.duration_ms, f.x_screen, f.y_screen,
                             f.image_id or "", "" if f.x_image is None else f.x_image,
                             "" if f.y_image is None else f.y_image])  # fmt: skip
    analysis = GazeAnalysis.objects.select_related("image").filter(session=session).first()
    if analysis and analysis.image and analysis.prior_file and media_path(analysis.prior_file).is_file():
        prior = np.load(media_path(analysis.prior_file)).astype(np.float32)
        np.save(folder / f"prior_{analysis.image_id}.npy", prior)
        image = analysis.image
        scale = {"downsample": analysis.prior_downsample, "rows": image.rows, "columns": image.columns}
        (folder / f"prior_{analysis.image_id}.json").write_text(json.dumps(scale))


def version_export_native(*, version: DatasetVersion, root: Path | str) -> Path:
    """Write the project's layout of ``version`` into the empty folder ``root``; returns ``manifest.json``."""
    root = output_folder(root)
    rows = []
    for item, image in version_items(version):
        iid, sid = image.pk, item["study_id"]
        files = {"image": f"images/{iid}.png", "pixels": f"pixels/{iid}.npy", "dicom": ""}
        copy_display(image, root / files["image"])
        stored = image_pixels(image)
        (root / "pixels").mkdir(exist_ok=True)
        np.save(root / files["pixels"], stored)
        if image.dicom_file:
            files["dicom"] = f"dicom/{iid}.dcm"
            copy_media(image.dicom_file, root / files["dicom"])
        report = root / "reports" / f"{sid}.json"
        if not report.exists():
            report.parent.mkdir(exist_ok=True)
            report.write_text(json.dumps({k: item.get(k, "") for k in ("indication", "history", "findings",
                                                                       "impression")}, indent=1))  # fmt: skip
        for session_id in item.get("gaze_sessions") or []:
            _write_session(root, session_id)
        rows.append({**{k: item[k] for k in _COLUMNS[:10] if k in item}, "image_id": iid, "study_id": sid,
                     **files, **item["labels"]})  # fmt: skip
    with (root / "manifest.csv").open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    path = root / "manifest.json"
    path.write_text(json.dumps({"manifest_sha256": version.manifest_sha256, **version.manifest}, indent=1))
    return path
