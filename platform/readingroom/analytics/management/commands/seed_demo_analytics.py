"""``manage.py seed_demo_analytics``: the demo users (``seed_demo``) and a SYNTHETIC two-arm reader study read
end to end by simulated readers, for the analytics page."""

from __future__ import annotations

from django.core.management import call_command
from django.core.management.base import BaseCommand

from readingroom.analytics.demo import DEMO_ANALYTICS_STUDY, demo_analytics_ensure
from readingroom.core.models import User
from readingroom.core.services import user_create


class Command(BaseCommand):
    help = "Create (once) a SYNTHETIC two-arm reader study read by simulated readers, with its analytics."

    def add_arguments(self, parser):
        parser.add_argument("--name", default=DEMO_ANALYTICS_STUDY)
        parser.add_argument("--cases", type=int, default=12)
        parser.add_argument("--seed", type=int, default=7)

    def handle(self, *args, name: str, cases: int, seed: int, **options):
        call_command("seed_demo", stdout=self.stdout)
        readers = list(User.objects.filter(username__in=["reader1", "reader2"]).order_by("username"))
        if not User.objects.filter(username="reader3").exists():
            user_create(username="reader3", password="reader3-demo", roles=["reader"])
        readers.append(User.objects.get(username="reader3"))
        project = demo_analytics_ensure(lead=User.objects.get(username="lead"), readers=readers, n_cases=cases,
                                        seed=seed, name=name)  # fmt: skip
        reads = project.assignments.filter(status="done").count()
        self.stdout.write(f"analytics demo study {project.name!r} (id {project.pk}): {reads} simulated read(s); "
                          f"GET /api/reader-studies/{project.pk}/analytics/")  # fmt: skip
