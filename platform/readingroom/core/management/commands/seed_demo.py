"""``manage.py seed_demo``: demo users, real demo radiographs, a demo reading project and a demo two-arm
reader study (``readingroom.reading.demo``).

Idempotent: run it again and nothing is duplicated. The radiographs come from the ``pydicom-data`` package
(a real chest PA, MONOCHROME1) and, where present, from ``../shared/data/cxr_dicom_samples``.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from readingroom.core.exceptions import InvalidInput
from readingroom.core.services import user_create
from readingroom.reading.demo import demo_study_ensure
from readingroom.reading.models import ReadingProject
from readingroom.reading.services import project_assign
from readingroom.studies.services import image_import_dicom

DEMO_USERS = [
    # username, password, roles, superuser
    ("reader1", "reader1-demo", ["reader"], False),
    ("reader2", "reader2-demo", ["reader"], False),
    ("lead", "lead-demo", ["lead", "reader"], False),
    ("admin", "admin-demo", ["admin", "curator", "engineer", "lead"], True),
]
# Demo files that are not real acquisitions: their study is titled so that the reader sees it.
SYNTHETIC_DEMO_FILES = {
    "Fake_MONOHR1.dcm": "SYNTHETIC image: the real CR inverted and relabelled MONOCHROME1 (not an acquisition)",
}
DEMO_CONTEXT = [
    ("Cough and fever for three days.", "No prior chest imaging."),
    ("Shortness of breath on exertion.", "Hypertension."),
    ("Pre-operative chest film.", "Scheduled for knee replacement."),
]


def demo_dicom_files() -> list[Path]:
    """The demo radiographs that exist on this machine, in a fixed order."""
    from pydicom.data import get_testdata_file

    files = []
    for name in ("RG1_UNCR.dcm",):
        found = get_testdata_file(name, download=False)
        if found:
            files.append(Path(found))
    shared = settings.BASE_DIR.parent / "shared" / "data" / "cxr_dicom_samples"
    if shared.is_dir():
        files.extend(sorted(shared.glob("*.dcm")))
    return files


class Command(BaseCommand):
    help = "Create demo users, import demo radiographs and put them on the demo readers' worklists."

    def handle(self, *args, **options):
        users = {}
        for username, password, roles, superuser in DEMO_USERS:
            users[username] = user_create(
                username=username, password=password, roles=roles, is_superuser=superuser
            )
        studies = []
        for index, path in enumerate(demo_dicom_files()):
            indication, history = DEMO_CONTEXT[index % len(DEMO_CONTEXT)]
            try:
                result = image_import_dicom(path=path, indication=indication, history=history)
            except InvalidInput as exc:
                self.stderr.write(f"skipped: {exc}")
                continue
            if path.name in SYNTHETIC_DEMO_FILES:
                result.image.study.description = SYNTHETIC_DEMO_FILES[path.name]
                result.image.study.save(update_fields=["description"])
            if result.image.study not in studies:
                studies.append(result.image.study)
        project, _ = ReadingProject.objects.get_or_create(
            name="Demo reading", defaults={"description": "Demo cases for trying the reading room."}
        )
        for username in ("reader1", "reader2", "lead"):
            project_assign(project=project, reader=users[username], studies=studies)
        if studies:
            demo_study_ensure(lead=users["lead"], readers=[users["reader1"], users["reader2"]])
        self.stdout.write(f"demo: {len(users)} users, {len(studies)} studies on the demo worklists")
        for username, password, _, _ in DEMO_USERS:
            self.stdout.write(f"  login {username} / {password}")
