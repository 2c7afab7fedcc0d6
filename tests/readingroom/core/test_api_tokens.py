"""Scoped, expiring, revocable API tokens: created (shown once, stored hashed), checked on every request,
refused when expired, revoked or out of scope, managed by their user or an administrator; all audited."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from rest_framework.test import APIClient

from readingroom.core.exceptions import InvalidInput
from readingroom.core.models import ApiToken, AuditEvent
from readingroom.core.services import user_create
from readingroom.core.tokens import gaze_scope, token_create, token_digest, token_revoke

pytestmark = pytest.mark.django_db


def _bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.fixture
def curator(db):
    return user_create(username="tok-curator", password="curator-pass-123", roles=["curator"])


@pytest.fixture
def admin(db):
    return user_create(username="tok-admin", password="admin-pass-123", roles=["admin"])


def test_a_token_is_stored_only_as_its_digest_and_acts_as_its_user(curator):
    row, plain = token_create(user=curator, scopes=["api:read"], days=7, name="notebook")
    assert plain.startswith("rrt_") and len(plain) > 40
    stored = ApiToken.objects.get(pk=row.pk)
    assert stored.digest == token_digest(plain) and plain not in (stored.digest, stored.prefix)
    assert plain.startswith(stored.prefix)
    response = _bearer(plain).get("/api/cohorts/")
    assert response.status_code == 200  # a curator's endpoint, with the curator's token
    assert ApiToken.objects.get(pk=row.pk).last_used_at is not None
    assert AuditEvent.objects.filter(action="token.create", target=f"token:{row.pk}").exists()


def test_the_users_roles_still_apply(reader):
    _, plain = token_create(user=reader, scopes=["api:write"], days=1)
    assert _bearer(plain).get("/api/cohorts/").status_code == 403
    assert _bearer(plain).get("/api/worklist/").status_code == 200


def test_read_scope_cannot_write_and_write_scope_needs_no_csrf(curator):
    _, read_only = token_create(user=curator, scopes=["api:read"], days=1)
    refused = _bearer(read_only).post("/api/cohorts/", {"name": "x"}, format="json")
    assert refused.status_code == 403 and "lacks the scope api:write" in refused.json()["detail"]
    _, writer = token_create(user=curator, scopes=["api:write"], days=1)
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {writer}")
    assert client.post("/api/cohorts/", {"name": "by script"}, format="json").status_code == 201
    reasons = AuditEvent.objects.filter(action="token.refused").values_list("detail", flat=True)
    assert [d["reason"] for d in reasons] == ["lacks the scope api:write"]


def test_expired_revoked_unknown_and_gaze_only_tokens_are_refused(curator, reading_session):
    row, plain = token_create(user=curator, scopes=["api:read"], days=1)
    ApiToken.objects.filter(pk=row.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    expired = _bearer(plain).get("/api/cohorts/")
    assert expired.status_code == 403 and "expired" in expired.json()["detail"]

    row, plain = token_create(user=curator, scopes=["api:read"], days=1)
    token_revoke(token_id=row.pk, by=curator)
    revoked = _bearer(plain).get("/api/cohorts/")
    assert revoked.status_code == 403 and "revoked" in revoked.json()["detail"]

    assert _bearer("rrt_" + "x" * 43).get("/api/cohorts/").status_code in {401, 403}
    assert _bearer("not-even-ours").get("/api/cohorts/").status_code in {401, 403}

    _, gaze_only = token_create(user=reading_session.reader, scopes=[gaze_scope(reading_session.pk)], days=1)
    assert _bearer(gaze_only).get("/api/worklist/").status_code == 403
    reasons = sorted(d["reason"] for d in AuditEvent.objects.filter(action="token.refused").values_list(
        "detail", flat=True))  # fmt: skip
    assert reasons == ["expired", "lacks the scope api:read or api:write", "revoked"]


def test_an_inactive_users_tokens_are_refused(curator):
    _, plain = token_create(user=curator, scopes=["api:read"], days=1)
    curator.is_active = False
    curator.save()
    assert _bearer(plain).get("/api/cohorts/").status_code == 403


@pytest.mark.parametrize(
    ("scopes", "days", "message"),
    [
        ([], 1, "scopes"),
        (["api:admin"], 1, "unknown scope"),
        (["gaze:write"], 1, "unknown scope"),
        (["gaze:write:1", "gaze:write:2"], 1, "one session"),
        (["gaze:write:99999"], 1, "does not exist"),
        (["api:read"], 0, "days"),
        (["api:read"], 91, "days"),
        (["api:read"], True, "days"),
    ],
)
def test_bad_token_requests_name_what_is_wrong(curator, scopes, days, message):
    with pytest.raises(InvalidInput, match=message):
        token_create(user=curator, scopes=scopes, days=days)
    assert not ApiToken.objects.exists()


def test_a_gaze_scope_must_name_a_session_of_the_tokens_user(other_reader, reading_session):
    with pytest.raises(InvalidInput, match="another reader"):
        token_create(user=other_reader, scopes=[gaze_scope(reading_session.pk)], days=1)


def test_api_users_manage_their_own_tokens_and_admins_everyones(curator, reader, admin):
    mine = APIClient()
    mine.force_login(curator)
    created = mine.post("/api/auth/tokens/", {"scopes": ["api:read"], "days": 3, "name": "nb"}, format="json")
    assert created.status_code == 201
    body = created.json()
    assert body["token"].startswith("rrt_") and body["user"] == "tok-curator"
    listed = mine.get("/api/auth/tokens/").json()
    assert [t["id"] for t in listed] == [body["id"]] and "token" not in listed[0]
    refused = mine.post(
        "/api/auth/tokens/", {"scopes": ["api:read"], "days": 3, "user": "reader"}, format="json"
    )
    assert refused.status_code == 403

    theirs = APIClient()
    theirs.force_login(reader)
    assert theirs.get("/api/auth/tokens/").json() == []
    assert theirs.post(f"/api/auth/tokens/{body['id']}/revoke/").status_code == 404  # not theirs

    boss = APIClient()
    boss.force_login(admin)
    for_reader = boss.post("/api/auth/tokens/", {"scopes": ["api:read"], "days": 1, "user": "reader"},
                           format="json")  # fmt: skip
    assert for_reader.status_code == 201 and for_reader.json()["user"] == "reader"
    assert {t["user"] for t in boss.get("/api/auth/tokens/").json()} == {"tok-curator", "reader"}
    assert [t["user"] for t in boss.get("/api/auth/tokens/", {"user": "reader"}).json()] == ["reader"]
    revoked = boss.post(f"/api/auth/tokens/{body['id']}/revoke/")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    assert _bearer(body["token"]).get("/api/cohorts/").status_code == 403
    event = AuditEvent.objects.get(action="token.revoke", target=f"token:{body['id']}")
    assert event.actor_name == "tok-admin"
    assert boss.post("/api/auth/tokens/99999999999999999999/revoke/").status_code == 404


def test_a_token_cannot_create_or_revoke_tokens(curator):
    row, plain = token_create(user=curator, scopes=["api:write"], days=1)
    client = _bearer(plain)
    assert (
        client.post("/api/auth/tokens/", {"scopes": ["api:write"], "days": 90}, format="json").status_code
        == 403
    )
    assert client.post(f"/api/auth/tokens/{row.pk}/revoke/").status_code == 403
    assert client.get("/api/auth/tokens/").status_code == 403
    assert ApiToken.objects.count() == 1


def test_the_commands_create_list_and_revoke(curator):
    out, err = StringIO(), StringIO()
    call_command("token_create", "--user", "tok-curator", "--scope", "api:read", "--days", "5", stdout=out,
                 stderr=err)  # fmt: skip
    plain = out.getvalue().strip()
    assert _bearer(plain).get("/api/cohorts/").status_code == 200
    row = ApiToken.objects.get()
    listing = StringIO()
    call_command("token_list", stdout=listing)
    assert f"{row.pk}\ttok-curator\t{row.prefix}" in listing.getvalue() and "live" in listing.getvalue()
    assert plain not in listing.getvalue()
    call_command("token_revoke", str(row.pk), stdout=StringIO())
    assert _bearer(plain).get("/api/cohorts/").status_code == 403
    assert AuditEvent.objects.get(action="token.revoke").detail["by"] == "command line"
    with pytest.raises(CommandError, match="unknown scope"):
        call_command("token_create", "--user", "tok-curator", "--scope", "all", "--days", "5", stdout=out)
    with pytest.raises(CommandError, match="does not exist"):
        call_command("token_revoke", "12345", stdout=out)
