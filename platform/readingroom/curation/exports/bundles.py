"""Gaze of a frozen dataset version in REFLACX-compatible and BIDS eye-tracking layouts."""

from __future__ import annotations

from pathlib import Path

from readingroom.curation.exports.common import output_folder, version_items
from readingroom.curation.exports.gaze_files import session_write_bids, session_write_reflacx
from readingroom.curation.models import DatasetVersion
from readingroom.reading.models import ReadingSession


def version_export_reflacx(*, version: DatasetVersion, root: Path | str) -> list[Path]:
    """``<session_id>/<image_id>/{fixations,gaze}.csv`` for each gaze session of each image (REFLACX columns)."""
    root = output_folder(root)
    written: list[Path] = []
    for item, image in version_items(version):
        for session in ReadingSession.objects.filter(pk__in=item.get("gaze_sessions") or []):
            written += session_write_reflacx(
                session=session, image=image, folder=root / str(session.pk) / str(image.pk)
            )
    return written


def version_export_bids(*, version: DatasetVersion, root: Path | str) -> list[Path]:
    """``sub-<patient>/ses-<session>/beh/*_physio.tsv.gz`` (+ JSON) for each gaze session of the version."""
    root = output_folder(root)
    written: list[Path] = []
    done: set[int] = set()
    for item, _ in version_items(version):
        for session in ReadingSession.objects.filter(pk__in=item.get("gaze_sessions") or []):
            if session.pk in done:
                continue
            done.add(session.pk)
            subject = item["patient"]
            written += session_write_bids(session=session, subject=subject,
                                          folder=root / f"sub-{subject}" / f"ses-{session.pk}" / "beh")  # fmt: skip
    return written
