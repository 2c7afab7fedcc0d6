"""A frozen dataset version's gaze recordings as a BIDS dataset (eye tracking as physiological recordings).

```
dataset_description.json  README.md  participants.tsv  participants.json  task-cxrreading_events.json
stimuli/images/<image_id>.png                                the radiographs as displayed (8-bit renderings)
sub-<reader>/ses-<session>/beh/
    sub-<reader>_ses-<session>_task-cxrreading_events.tsv    one row per displayed view of an image
    sub-<reader>_ses-<session>_task-cxrreading_events.json   StimulusPresentation (screen size, distance, ...)
    sub-<reader>_ses-<session>_task-cxrreading_recording-eye1_physio.tsv.gz (+ .json)  samples, screen pixels
```

The subject of an eye-tracking recording is the person whose eyes were tracked: subjects are the readers,
numbered in the order of their platform ids (no names), and sessions are the platform's reading sessions.
Event onsets and the physio ``StartTime`` are seconds from the session's first sample; the physio timestamp
column keeps the session clock in ms, as the platform stores it.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

from gaze_capture.formats import write_bids_physio
from readingroom.curation.exports.common import copy_display, output_folder, version_items
from readingroom.curation.models import DatasetVersion
from readingroom.gaze.analysis import screen_geometry, session_gaze
from readingroom.reading.models import ReadingSession
from readingroom.studies.models import Image

BIDS_VERSION = "1.10.0"
TASK = "cxrreading"
_CORNERS = ("x0", "y0", "x1", "y1")
_EVENT_COLUMNS = ("onset", "duration", "trial_type", "stim_file", "image_id",
                  *(f"image_{c}" for c in _CORNERS), *(f"screen_{c}" for c in _CORNERS),
                  "window_width", "window_level")  # fmt: skip
_EVENT_DESCRIPTIONS = {
    "onset": {"Description": "start of the view, from the first gaze sample of the session", "Units": "s"},
    "duration": {"Description": "time until the next view or the last sample", "Units": "s"},
    "trial_type": {"Description": "what happened", "Levels": {"image_view": "an image shown in the viewer"}},
    "stim_file": {"Description": "the image shown, relative to the stimuli folder"},
    "image_id": {"Description": "the platform's image id"},
    **{f"image_{c}": {"Description": f"image area shown: {c} in image pixels (origin at the top-left corner of "
                                    "the top-left pixel)", "Units": "pixel"} for c in _CORNERS},
    **{f"screen_{c}": {"Description": f"where that area was drawn: {c} in screen pixels", "Units": "pixel"}
       for c in _CORNERS},
    "window_width": {"Description": "display window width, modality units"},
    "window_level": {"Description": "display window centre, modality units"},
}  # fmt: skip


def _write_json(path: Path, data: dict) -> Path:
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return path


def session_write_bids(*, session: ReadingSession, folder: Path, subject: str, stimuli: Path) -> list[Path]:
    """Write one session's events and physio files into ``folder`` (``.../beh``); returns the files."""
    gaze = session_gaze(session=session)
    if gaze is None or len(gaze.samples) < 2 or not gaze.views:
        return []
    folder.mkdir(parents=True, exist_ok=True)
    s = gaze.samples
    t0, t_end = float(s.t_ms[0]), float(s.t_ms[-1])
    stem = f"sub-{subject}_ses-{session.pk}_task-{TASK}"
    geometry = screen_geometry(session=session)
    events = folder / f"{stem}_events.tsv"
    with events.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, delimiter="\t", lineterminator="\n")
        writer.writerow(_EVENT_COLUMNS)
        for i, (view, image_id) in enumerate(zip(gaze.views, gaze.view_image_ids, strict=True)):
            start = max(view.t_ms, t0)
            end = gaze.views[i + 1].t_ms if i + 1 < len(gaze.views) else t_end
            writer.writerow([
                f"{(start - t0) / 1000.0:.4f}", f"{max(end - start, 0.0) / 1000.0:.4f}", "image_view",
                f"images/{image_id}.png", image_id, *view.image_region, *view.screen_rect,
                "n/a" if view.window_width is None else view.window_width,
                "n/a" if view.window_level is None else view.window_level,
            ])  # fmt: skip
    presentation = {
        "ScreenDistance": geometry.distance_mm / 1000.0,
        "ScreenOrigin": ["top", "left"],
        "ScreenResolution": [geometry.width_px, geometry.height_px],
        "ScreenSize": [geometry.width_mm / 1000.0, geometry.height_mm / 1000.0],
    }
    for image in Image.objects.filter(pk__in=set(gaze.view_image_ids)):
        if not (stimuli / "images" / f"{image.pk}.png").exists():
            copy_display(image, stimuli / "images" / f"{image.pk}.png")
    sidecar_events = _write_json(folder / f"{stem}_events.json", {"StimulusPresentation": presentation})
    physio = folder / f"{stem}_recording-eye1_physio.tsv.gz"
    rate = s.sampling_rate_hz
    sidecar = write_bids_physio(
        physio, s, sampling_frequency_hz=rate if np.isfinite(rate) else 0.0, geometry=geometry,
        extra={"StartTime": 0.0, "SampleCoordinateSystem": "gaze-on-screen", "Manufacturer": "n/a",
               "timestamp": {"Description": "session clock (server-aligned device time)", "Units": "ms"}},
    )  # fmt: skip
    return [events, sidecar_events, physio, sidecar]


def _dataset_files(root: Path, version: DatasetVersion, subjects: dict[int, str]) -> list[Path]:
    description = {
        "Name": f"{version.dataset.name} version {version.number}: chest radiograph reading with eye tracking",
        "BIDSVersion": BIDS_VERSION,
        "DatasetType": "raw",
        "GeneratedBy": [{"Name": "CoGaze reading room", "Description": "export of a frozen dataset version"}],
    }
    readme = (
        f"# {description['Name']}\n\n"
        "Readers read chest radiographs in the CoGaze reading room while an eye tracker recorded their gaze.\n"
        "Subjects are the readers; sessions are reading sessions; `task-cxrreading` is reading one case.\n"
        "Gaze samples are in screen pixels with the origin at the top-left of the screen; each event row is\n"
        "a displayed view of an image (which image region was drawn where on the screen), so samples map to\n"
        "image pixels with the view in force at their time. Images are in `stimuli/images/`.\n\n"
        f"Frozen dataset version manifest SHA-256: {version.manifest_sha256}\n"
    )
    (root / "README.md").write_text(readme, encoding="utf-8")
    with (root / "participants.tsv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, delimiter="\t", lineterminator="\n")
        writer.writerow(["participant_id", "role"])
        writer.writerows([f"sub-{label}", "reader"] for label in sorted(subjects.values()))
    return [
        _write_json(root / "dataset_description.json", description),
        root / "README.md",
        root / "participants.tsv",
        _write_json(
            root / "participants.json",
            {
                "role": {
                    "Description": "the participant's part in the study",
                    "Levels": {"reader": "reads the radiographs"},
                }
            },
        ),  # fmt: skip
        _write_json(root / f"task-{TASK}_events.json", _EVENT_DESCRIPTIONS),
    ]


def version_export_bids(*, version: DatasetVersion, root: Path | str) -> list[Path]:
    """Write ``version``'s gaze sessions as a BIDS dataset into the empty folder ``root``; returns the files."""
    root = output_folder(root)
    sessions: dict[int, ReadingSession] = {}
    for item, _ in version_items(version):
        for session in ReadingSession.objects.filter(pk__in=item.get("gaze_sessions") or []):
            sessions.setdefault(session.pk, session)
    readers = sorted({s.reader_id for s in sessions.values()})
    subjects = {reader: f"{n:02d}" for n, reader in enumerate(readers, start=1)}
    written = _dataset_files(root, version, subjects)
    for pk, session in sorted(sessions.items()):
        subject = subjects[session.reader_id]
        written += session_write_bids(session=session, subject=subject, stimuli=root / "stimuli",
                                      folder=root / f"sub-{subject}" / f"ses-{pk}" / "beh")  # fmt: skip
    return written
