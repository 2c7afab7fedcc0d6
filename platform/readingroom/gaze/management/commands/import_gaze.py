"""``manage.py import_gaze --format reflacx|egdcxr PATH [PATH ...]``: attach public gaze recordings to the
imported images they were recorded on (see :mod:`readingroom.gaze.imports`)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from readingroom.core.exceptions import ReadingRoomError
from readingroom.gaze.imports import gaze_import


class Command(BaseCommand):
    help = (
        "Import REFLACX or EGD-CXR gaze files onto the matching imported images (by dicom_id): a submitted "
        "reading session per recording with raw gaze, fixations, the gaze prior and the transcribed report. "
        "Idempotent; files that match no image are reported and the rest imported."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "paths", nargs="+", help="REFLACX data set/main_data/case folders, or EGD-CXR folders"
        )
        parser.add_argument("--format", required=True, choices=["reflacx", "egdcxr"], dest="fmt")

    def handle(self, *args, **options):
        failed = 0
        for path in options["paths"]:
            try:
                report = gaze_import(fmt=options["fmt"], path=path)
            except ReadingRoomError as exc:
                raise CommandError(str(exc)) from exc
            for error in report.errors:
                self.stderr.write(f"{error['item']}: {error['error']}")
            self.stdout.write(
                f"{path}: {report.imported} imported, {report.skipped} already imported, {report.failed} failed"
            )
            failed += report.failed
        if failed:
            raise CommandError(f"{failed} recording(s) could not be imported (listed above)")
