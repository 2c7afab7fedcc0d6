"""The audit log: append-only, and written by the views that show, change, download or export data."""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from readingroom.core import throttle
from readingroom.core.models import AppendOnlyError, AuditEvent
from readingroom.core.services import audit_record, user_create
from readingroom.curation.services import dataset_create

pytestmark = pytest.mark.django_db


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _events() -> list[tuple[str, str, str]]:
    return [(e.actor_name, e.action, e.target) for e in AuditEvent.objects.order_by("pk")]


def test_events_are_never_updated_or_deleted(reader):
    event = audit_record(actor=reader, action="image.view", target="image:1")
    event.target = "image:2"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(target="image:3")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.bulk_update([event], ["target"])
    assert _events() == [("reader", "image.view", "image:1")]


def test_events_outlive_their_actor(reader):
    audit_record(actor=reader, action="image.view", target="image:1")
    reader.delete()
    event = AuditEvent.objects.get()
    assert event.actor is None and event.actor_name == "reader"


def test_reading_views_record_who_viewed_and_downloaded_what(reader, assignment, image, reading_session):
    client = _client(reader)
    assert client.get(f"/api/images/{image.pk}/").status_code == 200
    pixels = client.get(f"/api/images/{image.pk}/pixels")
    assert pixels.status_code == 200 and b"".join(pixels.streaming_content)
    assert client.get(f"/api/sessions/{reading_session.pk}/results/").status_code == 200
    assert client.get(f"/api/sessions/{reading_session.pk}/heatmap.png").status_code == 404  # not computed
    assert _events()[-4:] == [
        ("reader", "image.view", f"image:{image.pk}"),
        ("reader", "image.download", f"image:{image.pk}"),
        ("reader", "session.results.view", f"session:{reading_session.pk}"),
        ("reader", "session.heatmap.download", f"session:{reading_session.pk}"),
    ]


def test_a_refused_request_records_nothing(other_reader, image):
    assert _client(other_reader).get(f"/api/images/{image.pk}/").status_code == 403
    assert not AuditEvent.objects.filter(action="image.view").exists()


def test_curation_views_record_changes_and_exports(image, settings, tmp_path):
    settings.EXPORT_ROOT = tmp_path / "exports"
    curator = user_create(username="cur", password="cur-pass-123", roles=["curator"])
    client = _client(curator)
    study = image.study
    assert client.patch(f"/api/studies/{study.pk}/labels/", {"labels": {"Cardiomegaly": "present"}},
                        format="json").status_code == 200  # fmt: skip
    assert client.put(f"/api/studies/{study.pk}/report/", {"text": "FINDINGS: Normal."},
                      format="json").status_code == 200  # fmt: skip
    dataset = dataset_create(name="d")
    version = client.post(f"/api/datasets/{dataset.pk}/versions/", {"seed": 1}, format="json").json()
    assert client.post(f"/api/dataset-versions/{version['id']}/exports/", {"format": "native"},
                       format="json").status_code == 202  # fmt: skip
    assert _events() == [
        ("cur", "study.labels.set", f"study:{study.pk}"),
        ("cur", "study.report.set", f"study:{study.pk}"),
        ("cur", "dataset_version.freeze", f"dataset_version:{version['id']}"),
        ("cur", "dataset_version.export", f"dataset_version:{version['id']}"),
    ]
    export = AuditEvent.objects.get(action="dataset_version.export")
    assert export.detail["format"] == "native" and export.detail["folder"].startswith(str(tmp_path))
    assert AuditEvent.objects.get(action="study.labels.set").detail == {"labels": {"Cardiomegaly": "present"}}


def test_logins_and_failed_logins_are_recorded(reader):
    client = APIClient()
    address = "192.0.2.44"
    try:
        assert client.post("/api/auth/login/", {"username": "reader", "password": "nope"}, format="json",
                           REMOTE_ADDR=address).status_code == 400  # fmt: skip
        assert client.post("/api/auth/login/", {"username": "reader", "password": "reader-pass-123"},
                           format="json", REMOTE_ADDR=address).status_code == 200  # fmt: skip
    finally:
        throttle.login_lock_clear(username="reader", address=address)
    failed, ok = AuditEvent.objects.order_by("pk")
    assert (failed.action, failed.actor_name, failed.detail["username"]) == (
        "auth.login_failed",
        "",
        "reader",
    )
    assert (ok.action, ok.actor_name, ok.detail["address"]) == ("auth.login", "reader", address)


def test_administrators_read_the_log_filtered(reader, image):
    audit_record(actor=reader, action="image.view", target=f"image:{image.pk}")
    audit_record(actor=reader, action="image.download", target=f"image:{image.pk}")
    audit_record(actor=None, action="auth.login_failed", detail={"username": "x"})
    admin_user = user_create(username="boss", password="boss-pass-123", roles=["admin"])
    client = _client(admin_user)
    rows = client.get("/api/audit/", {"actor": "reader", "action": "image."}).json()
    assert [(r["actor"], r["action"], r["target"]) for r in rows] == [
        ("reader", "image.download", f"image:{image.pk}"),
        ("reader", "image.view", f"image:{image.pk}"),
    ]
    assert len(client.get("/api/audit/", {"limit": 1}).json()) == 1
    assert client.get("/api/audit/", {"limit": 0}).status_code == 400
    assert _client(reader).get("/api/audit/").status_code == 403


def test_details_with_nul_or_lone_surrogates_are_stored_not_a_server_error(reader, reading_session):
    """Found by the API fuzz test on PostgreSQL: a refused report edit audits what was sent, and JSON with
    a NUL (which PostgreSQL's jsonb refuses) or a lone surrogate (not UTF-8) ended in a 500."""
    event = audit_record(actor=reader, action="x.refused", detail={"a\x00b": ["c\x00", {"d": "\ud800e"}]})
    stored = AuditEvent.objects.get(pk=event.pk).detail
    assert stored == {"a\ufffdb": ["c\ufffd", {"d": "\ufffde"}]}
    body = json.dumps({"findings": "x\x00y", "labels": {"\x00": "\ud83d"}})  # escaped: ASCII on the wire
    response = _client(reader).put(f"/api/sessions/{reading_session.pk}/report/", body,
                                   content_type="application/json")  # fmt: skip
    assert response.status_code == 409
