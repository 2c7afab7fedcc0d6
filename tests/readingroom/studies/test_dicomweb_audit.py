"""DICOMweb downloads (WADO-RS retrieve, frames, rendered) are audit events: one per request, naming who
took which instances; metadata and searches are not downloads; refused requests record nothing."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from readingroom.core.models import AuditEvent
from readingroom.studies.dicomweb import series_uid_of

pytestmark = pytest.mark.django_db


def _base(image) -> str:
    return f"/api/dicomweb/studies/{image.study.study_uid}"


def _events():
    return [(e.actor_name, e.action, e.target, e.detail) for e in AuditEvent.objects.order_by("pk")]


def test_each_wado_download_is_one_audit_event_of_its_reader(reader, image, assignment):
    client = APIClient()
    client.force_authenticate(reader)
    instance = f"{_base(image)}/series/{series_uid_of(image)}/instances/{image.sop_uid}"
    before = AuditEvent.objects.count()  # the fixtures' own events
    for url in (_base(image), instance, f"{instance}/frames/1", f"{instance}/rendered",
                f"{instance}/frames/1/rendered"):  # fmt: skip
        response = client.get(url, HTTP_ACCEPT="*/*")
        assert response.status_code == 200, url
        if response.streaming:
            b"".join(response.streaming_content)
    client.get(f"{instance}/metadata")
    client.get("/api/dicomweb/studies")
    study = f"study:{image.study_id}"
    assert _events()[before:] == [
        ("reader", "dicomweb.retrieve", study, {"images": [image.pk]}),
        ("reader", "dicomweb.retrieve", study, {"images": [image.pk]}),
        ("reader", "dicomweb.frames", study, {"images": [image.pk], "frames": [1]}),
        ("reader", "dicomweb.rendered", study, {"images": [image.pk]}),
        ("reader", "dicomweb.rendered", study, {"images": [image.pk], "frames": [1]}),
    ]


def test_a_refused_download_records_nothing(other_reader, image, assignment):
    client = APIClient()
    client.force_authenticate(other_reader)
    before = AuditEvent.objects.count()
    instance = f"{_base(image)}/series/{series_uid_of(image)}/instances/{image.sop_uid}"
    assert client.get(f"{instance}/frames/1").status_code in {403, 404}
    assert AuditEvent.objects.count() == before
