"""The demo reader study: two arms (unaided, then AI-assisted) and two readers over the demo radiographs."""

from __future__ import annotations

from readingroom.core.models import User
from readingroom.curation.models import Dataset
from readingroom.curation.services import dataset_create, dataset_version_freeze
from readingroom.reading.models import ReadingProject
from readingroom.reading.study_services import study_create, study_start

DEMO_STUDY = "Demo reader study"
DEMO_DATASET = "Demo reader study cases"


def demo_study_ensure(
    *, lead: User, readers: list[User], washout_days: float = 0.0, require_calibration: bool = False,
    name: str = DEMO_STUDY,
) -> ReadingProject:  # fmt: skip
    """Create and start the demo study once (a frozen version of every imported image is its cases);
    an existing study of that name is returned as it is."""
    existing = ReadingProject.objects.filter(name=name).first()
    if existing is not None:
        return existing
    dataset = Dataset.objects.filter(name=DEMO_DATASET).first() or dataset_create(
        name=DEMO_DATASET, description="The demo radiographs, for the demo reader study.", user=lead
    )
    version = dataset.versions.order_by("-number").first() or dataset_version_freeze(
        dataset=dataset, seed=2024, notes="demo", user=lead
    )
    project = study_create(
        lead=lead, name=name, dataset_version_id=version.pk, reader_ids=[r.pk for r in readers],
        arms=[{"name": "Unaided", "mode": "unaided"}, {"name": "AI-assisted", "mode": "ai_assisted"}],
        description="Demo: each reader reads every case unaided and with the model (arm order counterbalanced).",
        seed=2024, washout_days=washout_days, require_calibration=require_calibration,
    )  # fmt: skip
    return study_start(project_id=project.pk, lead=lead)
