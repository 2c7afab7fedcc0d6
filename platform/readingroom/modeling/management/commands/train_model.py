"""``manage.py train_model``: train CoGaze and register the model version (here, or on a worker)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from readingroom.core.exceptions import InvalidInput
from readingroom.modeling.models import ModelVersion, TrainingRun
from readingroom.modeling.services import training_run_execute, training_run_queue, training_runs_abandon


class Command(BaseCommand):
    help = "Train a CoGaze model (config preset, data spec) and register it as a model version."

    def add_arguments(self, parser):
        parser.add_argument("--name", default="cogaze", help="model name in the registry")
        parser.add_argument("--config", default="tiny", help="cogaze preset: tiny, base-offline, paper")
        parser.add_argument(
            "--data", default="phantoms:64", help="phantoms:N, or export:PATH under MEDIA_ROOT"
        )
        parser.add_argument("--max-steps", type=int, default=None)
        parser.add_argument("--no-activate", action="store_true", help="register without making it active")
        parser.add_argument("--queue", action="store_true", help="run on a Celery worker (queue gpu)")
        parser.add_argument(
            "--if-no-model",
            action="store_true",
            help="do nothing when a model is registered (runs left unfinished by a stopped worker are marked failed)",
        )

    def handle(self, *args, **options):
        if options["if_no_model"]:
            if ModelVersion.objects.exists():
                self.stdout.write("a model is registered; nothing to do")
                return
            stale = training_runs_abandon(name=options["name"])
            if stale:
                self.stdout.write(f"{stale} unfinished training run(s) of {options['name']} marked failed")
        try:
            with transaction.atomic():
                run = training_run_queue(
                    name=options["name"], config_name=options["config"], data_spec=options["data"],
                    max_steps=options["max_steps"], activate=not options["no_activate"],
                ) if options["queue"] else TrainingRun.objects.create(
                    name=options["name"], config_name=options["config"], data_spec=options["data"],
                    max_steps=options["max_steps"], activate=not options["no_activate"],
                )  # fmt: skip
        except InvalidInput as exc:
            raise CommandError(str(exc)) from exc
        if options["queue"]:
            self.stdout.write(f"training run {run.pk} queued on the gpu queue")
            return
        run = training_run_execute(run_id=run.pk, progress=True)
        self.stdout.write(f"training run {run.pk}: {run.status}, model {run.model_version}, {run.metrics}")
