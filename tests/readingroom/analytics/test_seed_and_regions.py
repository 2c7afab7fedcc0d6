"""``manage.py seed_demo_analytics`` reads a SYNTHETIC two-arm study end to end, once; and a read whose
dataset version labels a box gets its time to first fixation and dwell from that box (values by hand)."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command

from readingroom.analytics import exports, selectors
from readingroom.analytics.demo import DEMO_ANALYTICS_STUDY
from readingroom.reading.models import Assignment, ReadingProject

pytestmark = pytest.mark.django_db


def test_seed_demo_analytics_reads_every_case_of_both_arms_once():
    out = io.StringIO()
    call_command("seed_demo_analytics", "--cases", "4", stdout=out)
    study = ReadingProject.objects.get(name=DEMO_ANALYTICS_STUDY)
    assert [arm.mode for arm in study.arms.all()] == ["unaided", "ai_assisted"]
    assert sorted(study.study_readers.values_list("reader__username", flat=True)) == [
        "reader1",
        "reader2",
        "reader3",
    ]
    assert Assignment.objects.filter(project=study).count() == 4 * 3 * 2
    assert not Assignment.objects.filter(project=study).exclude(status="done").exists()
    assert f"/api/reader-studies/{study.pk}/analytics/" in out.getvalue()
    data = selectors.study_data(project_id=study.pk)
    assert len(data.reads) == 24 and all(r["fixation_count"] > 0 and r["model"] for r in data.reads)
    call_command("seed_demo_analytics", "--cases", "4", stdout=io.StringIO())
    assert ReadingProject.objects.filter(name=DEMO_ANALYTICS_STUDY).count() == 1


def test_labelled_box_is_the_finding_region(reader, image):
    from readingroom.curation.models import Dataset, DatasetVersion
    from readingroom.gaze.models import Fixation
    from readingroom.reading.models import ReadingSession, Report, StudyArm, ViewEvent

    manifest = {"items": [{"study_id": image.study_id, "image_id": image.pk, "labels": {"Edema": "present"},
                           "regions": [{"name": "Edema", "box": [0, 0, 20, 20]}]}]}  # fmt: skip
    version = DatasetVersion.objects.create(dataset=Dataset.objects.create(name="boxes"), number=1, seed=0,
                                            split_fractions={"test": 1.0}, manifest=manifest, manifest_sha256="x",
                                            item_count=1)  # fmt: skip
    project = ReadingProject.objects.create(name="boxed", dataset_version=version)
    arm = StudyArm.objects.create(project=project, name="Unaided", mode="unaided", position=0)
    a = Assignment.objects.create(project=project, reader=reader, study=image.study, arm=arm, status="done")
    s = ReadingSession.objects.create(assignment=a, reader=reader, status="submitted")
    ReadingSession.objects.filter(pk=s.pk).update(submitted_at=s.started_at + timedelta(seconds=12.5))
    Report.objects.create(session=s, labels={"Edema": "present"})
    ViewEvent.objects.create(session=s, seq=0, t_ms=1000.0, image=image, image_region=[0, 0, 48, 64],
                             screen_rect=[0, 0, 480, 640])  # fmt: skip
    # image onset 1000 ms; fixations at 1200 (outside), 1500 (in the box, 250 ms), 2000 (in the box, 100 ms)
    for k, (onset, dur, x, y) in enumerate([(1200, 200, 40, 40), (1500, 250, 5, 5), (2000, 100, 15, 10)]):
        Fixation.objects.create(session=s, index=k, onset_ms=onset, offset_ms=onset + dur, duration_ms=dur,
                                x_screen=x * 10, y_screen=y * 10, image=image, x_image=x, y_image=y)  # fmt: skip
    data = selectors.study_data(project_id=project.pk)
    (read,) = data.reads
    assert exports.region_rows(data) == [{"read_id": s.pk, "region": "Edema", "region_source": "labels",
                                          "time_to_first_fixation_ms": 500.0, "dwell_ms": 350.0, "fixation_count": 2}]  # fmt: skip
    assert (read["region_source"], read["finding_region"]) == ("labels", "Edema")
    assert read["finding_ttff_ms"] == 500.0  # 1500 - 1000
    assert read["finding_dwell_ms"] == 350.0  # 250 + 100
    assert read["finding_fixation_count"] == 2 and read["fixation_count"] == 3
    assert read["reading_time_s"] == pytest.approx(12.5)
    assert read["model"] is None and read["calibration_accuracy_deg"] is None
