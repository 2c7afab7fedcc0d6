"""``manage.py redeidentify_stored``: re-apply the current de-identification profile to stored DICOM files."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from readingroom.studies.redeid import stored_dicom_redeidentify


class Command(BaseCommand):
    help = (
        "Re-apply the current PS3.15 Annex E profile to every stored (already de-identified) DICOM file, "
        "keeping its UIDs, dates and pseudonym; run it after an upgrade of the profile."
    )

    def handle(self, *args, **options):
        result = stored_dicom_redeidentify()
        for error in result.errors:
            self.stderr.write(f"error: {error}")
        self.stdout.write(f"{result.rewritten} stored DICOM file(s) de-identified again")
        if result.errors:
            raise CommandError(f"{len(result.errors)} file(s) could not be read")
