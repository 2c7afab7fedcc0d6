"""``manage.py export_dataset VERSION_ID FORMAT FOLDER``: export a frozen dataset version."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from readingroom.core.exceptions import ReadingRoomError
from readingroom.curation.exports import EXPORTERS, version_export
from readingroom.curation.models import DatasetVersion


class Command(BaseCommand):
    help = "Export a frozen dataset version (cogaze, native, reflacx, bids, sr) into an empty folder."

    def add_arguments(self, parser):
        parser.add_argument("version_id", type=int)
        parser.add_argument("format", choices=sorted(EXPORTERS))
        parser.add_argument("folder")

    def handle(self, *args, **options):
        version = DatasetVersion.objects.filter(pk=options["version_id"]).first()
        if version is None:
            raise CommandError(f"dataset version {options['version_id']} does not exist")
        try:
            result = version_export(version=version, format=options["format"], root=options["folder"])
        except ReadingRoomError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"exported {version} as {options['format']} to {options['folder']} ({result})"[:400]
        )
