"""``manage.py import_dicom PATH [PATH ...]``: import radiographs (DICOM, PNG/JPEG with a metadata CSV)
from files, folders and zip archives as an import job, with a progress bar."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from readingroom.core.exceptions import ReadingRoomError
from readingroom.studies.ingest import import_job_create, import_job_run
from readingroom.studies.layouts import LAYOUTS
from readingroom.studies.models import ImportJob


class Command(BaseCommand):
    help = (
        "Import radiographs (DICOM files, folders, zip archives; PNG/JPEG listed in a metadata CSV) with "
        "de-identification and display rendering. Resumable: --resume JOB_ID continues a job."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="*", help="files, folders, zip archives or metadata CSVs")
        parser.add_argument("--indication", default="", help="clinical indication for the imported studies")
        parser.add_argument("--history", default="", help="clinical history for the imported studies")
        parser.add_argument("--workers", type=int, default=None, help="processes (default INGEST_WORKERS)")
        parser.add_argument("--resume", type=int, default=None, metavar="JOB_ID", help="resume this job")
        parser.add_argument("--progress", action="store_true", help="show a progress bar even without a tty")
        parser.add_argument("--layout", default="", choices=["", *sorted(LAYOUTS)],
                            help="read each path as a folder in this data set layout")  # fmt: skip

    def handle(self, *args, **options):
        try:
            if options["resume"] is not None:
                job = ImportJob.objects.filter(pk=options["resume"]).first()
                if job is None:
                    raise CommandError(f"import job {options['resume']} does not exist")
            elif options["paths"]:
                job = import_job_create(
                    sources=options["paths"],
                    options={
                        "indication": options["indication"],
                        "history": options["history"],
                        "layout": options["layout"],
                    },  # fmt: skip
                    enqueue=False,
                )
            else:
                raise CommandError("give paths to import, or --resume JOB_ID")
            bar = tqdm(total=0, unit="file", file=sys.stderr,
                       disable=not (options["progress"] or sys.stderr.isatty()))  # fmt: skip
            quiet = not bar.disable or options["verbosity"] < 1

            def progress(current: ImportJob, key: str, outcome: str) -> None:
                bar.total = current.total
                bar.update(1)
                if not quiet:
                    self.stdout.write(f"{outcome} {key}")

            job = import_job_run(job_id=job.pk, workers=options["workers"], progress=progress)
            bar.close()
        except ReadingRoomError as exc:
            raise CommandError(str(exc)) from exc
        for entry in job.warnings:
            self.stderr.write(f"warning: {entry['item']}: {entry['warning']}")
        for entry in job.errors:
            self.stderr.write(f"error: {entry['error']}")
        self.stdout.write(f"import job {job.pk}: {job.message}")
        if job.failed:
            raise CommandError(f"{job.failed} file(s) could not be imported (import job {job.pk})")
