"""``manage.py evaluate_model``: run CoGaze's evaluation protocols on a registered model version."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from readingroom.core.exceptions import InvalidInput, NotFound
from readingroom.modeling.models import ModelVersion
from readingroom.modeling.services import active_model_version, model_version_evaluate


class Command(BaseCommand):
    help = "Evaluate a model version (default: the active one) and store the summary in its metrics."

    def add_arguments(self, parser):
        parser.add_argument("--model", default=None, help="NAME:VERSION (default: the active model)")
        parser.add_argument("--data", required=True, help="phantoms:N, or export:PATH under MEDIA_ROOT")
        parser.add_argument("--split", default="test", help="split of an export to evaluate on")
        parser.add_argument(
            "--max-generate",
            type=int,
            default=None,
            help="generate findings for the first N studies (default: all)",
        )

    def handle(self, *args, **options):
        if options["model"]:
            name, _, version = options["model"].partition(":")
            model_version = ModelVersion.objects.filter(name=name, version=version).first()
        else:
            model_version = active_model_version()
        if model_version is None:
            raise CommandError(f"no model version {options['model'] or '(active)'} is registered")
        try:
            summary = model_version_evaluate(
                model_version=model_version, data_spec=options["data"], split=options["split"],
                max_generate=options["max_generate"],
            )  # fmt: skip
        except (InvalidInput, NotFound) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(json.dumps(summary, indent=1))
