"""``manage.py seed_demo_study``: the demo users and radiographs (``seed_demo``) and a started two-arm
reader study (unaided, AI-assisted) with the two demo readers."""

from __future__ import annotations

from django.core.management import call_command
from django.core.management.base import BaseCommand

from readingroom.core.models import User
from readingroom.reading.demo import DEMO_STUDY, demo_study_ensure


class Command(BaseCommand):
    help = "Create (once) and start a demo two-arm reader study with the demo readers reader1 and reader2."

    def add_arguments(self, parser):
        parser.add_argument("--name", default=DEMO_STUDY)
        parser.add_argument("--washout-days", type=float, default=0.0)
        parser.add_argument("--require-calibration", action="store_true",
                            help="refuse submits while the tracker's recalibration is due")  # fmt: skip

    def handle(self, *args, name: str, washout_days: float, require_calibration: bool, **options):
        call_command("seed_demo", stdout=self.stdout)
        project = demo_study_ensure(
            lead=User.objects.get(username="lead"), readers=list(User.objects.filter(username__in=["reader1", "reader2"])),
            name=name, washout_days=washout_days, require_calibration=require_calibration,
        )  # fmt: skip
        cases = project.assignments.values("study_id").distinct().count()
        self.stdout.write(f"reader study {project.name!r} ({project.status}): {cases} case(s), arms "
                          f"{', '.join(a.name for a in project.arms.all())}; readers reader1, reader2")  # fmt: skip
