"""``manage.py register_model CHECKPOINT``: add a trained CoGaze checkpoint to the model registry."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from readingroom.core.exceptions import InvalidInput
from readingroom.modeling.services import model_version_register


class Command(BaseCommand):
    help = "Register a CoGaze checkpoint (file or run folder) as a model version, active by default."

    def add_arguments(self, parser):
        parser.add_argument("checkpoint")
        parser.add_argument("--name", required=True)
        parser.add_argument("--model-version", required=True)
        parser.add_argument("--description", default="")
        parser.add_argument("--no-activate", action="store_true")

    def handle(self, *args, **options):
        try:
            version = model_version_register(
                checkpoint=options["checkpoint"], name=options["name"], version=options["model_version"],
                description=options["description"], activate=not options["no_activate"],
            )  # fmt: skip
        except InvalidInput as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"registered {version} ({'active' if version.is_active else 'inactive'})")
