"""``manage.py seed_demo_study`` (and ``seed_demo``) start a two-arm demo reader study with two readers, once."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from readingroom.reading.models import Assignment, ReadingProject

pytestmark = pytest.mark.django_db


def test_seed_demo_study_starts_a_two_arm_study_with_two_readers_once():
    pytest.importorskip("pydicom.data")
    out = io.StringIO()
    call_command("seed_demo_study", "--washout-days", "0", stdout=out)
    study = ReadingProject.objects.get(name="Demo reader study")
    assert study.status == ReadingProject.Status.RUNNING and study.dataset_version is not None
    assert [arm.mode for arm in study.arms.all()] == ["unaided", "ai_assisted"]
    readers = sorted(study.study_readers.values_list("reader__username", flat=True))
    assert readers == ["reader1", "reader2"]
    cases = Assignment.objects.filter(project=study).values("study_id").distinct().count()
    assert cases >= 1
    for username in readers:
        assert Assignment.objects.filter(project=study, reader__username=username).count() == 2 * cases
    assert "reader study 'Demo reader study' (running)" in out.getvalue()
    call_command("seed_demo_study", stdout=io.StringIO())
    assert ReadingProject.objects.filter(name="Demo reader study").count() == 1
    assert Assignment.objects.filter(project=study).count() == 4 * cases
