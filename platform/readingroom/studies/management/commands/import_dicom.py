"""``manage.py import_dicom PATH [PATH ...]``: import DICOM radiographs (files or folders)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from readingroom.core.exceptions import InvalidInput
from readingroom.studies.services import image_import_dicom


def _files(paths: list[str]) -> list[Path]:
    found: list[Path] = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")))
        elif path.exists():
            found.append(path)
        else:
            raise CommandError(f"{path}: no such file or folder")
    return found


class Command(BaseCommand):
    help = "Import DICOM radiographs into studies and images, rendering their display images."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="DICOM files or folders of them")
        parser.add_argument("--indication", default="", help="clinical indication for the imported studies")
        parser.add_argument("--history", default="", help="clinical history for the imported studies")

    def handle(self, *args, **options):
        failures = 0
        for path in _files(options["paths"]):
            try:
                result = image_import_dicom(
                    path=path, indication=options["indication"], history=options["history"]
                )
            except InvalidInput as exc:
                failures += 1
                self.stderr.write(f"error: {exc}")
                continue
            verb = "imported" if result.created else "already imported"
            image = result.image
            self.stdout.write(f"{verb} {path} -> study {image.study_id} image {image.pk}")
            if result.warning:
                self.stderr.write(f"warning: {path}: {result.warning}")
        if failures:
            raise CommandError(f"{failures} file(s) could not be imported")
