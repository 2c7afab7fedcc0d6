"""HTTP hardening: CSRF on login, login limits, security headers, debug pages, static files, API docs."""

from __future__ import annotations

import sys

import pytest
from django.test import RequestFactory
from django.views.debug import technical_500_response
from rest_framework.test import APIClient

from readingroom.core import throttle
from readingroom.core.services import user_create

pytestmark = pytest.mark.django_db
ADDRESS = "203.0.113.7"  # TEST-NET-3: no real client


@pytest.fixture
def account(db):
    user = user_create(username="limited", password="limited-pass-123", roles=["reader"])
    yield user
    throttle.login_lock_clear(username="limited", address=ADDRESS)
    throttle.login_lock_clear(username="other-account", address="198.51.100.9")


def _login(client: APIClient, username: str, password: str, address: str = ADDRESS):
    return client.post("/api/auth/login/", {"username": username, "password": password}, format="json",
                       REMOTE_ADDR=address)  # fmt: skip


def test_a_cross_origin_login_form_without_a_csrf_token_is_refused(account):
    client = APIClient(enforce_csrf_checks=True)
    response = client.post("/api/auth/login/", {"username": "limited", "password": "limited-pass-123"},
                           HTTP_ORIGIN="https://evil.example", REMOTE_ADDR=ADDRESS)  # fmt: skip
    assert response.status_code == 403 and "CSRF" in response.json()["detail"]
    assert "_auth_user_id" not in client.session


def test_failed_logins_lock_the_account_even_for_the_right_password(account, settings, monkeypatch):
    settings.LOGIN_MAX_FAILURES_PER_ACCOUNT, settings.LOGIN_LOCKOUT_S = 5, 900
    client = APIClient()
    for _ in range(5):
        assert _login(client, "limited", "wrong").status_code == 400
    locked = _login(client, "Limited", "limited-pass-123")
    assert locked.status_code == 429
    assert "too many failed logins for this account" in locked.json()["detail"]
    assert 0 < int(locked["Retry-After"]) <= 900
    for _ in range(45):  # the brute force goes on: still locked, the count keeps nothing useful
        assert _login(client, "limited", "wrong").status_code == 429
    assert _login(client, "limited", "limited-pass-123").status_code == 429
    later = throttle._now() + 901
    monkeypatch.setattr(throttle, "_now", lambda: later)  # the lockout window has passed
    assert _login(client, "limited", "limited-pass-123").status_code == 200


def test_one_address_trying_many_accounts_is_locked(account, settings):
    settings.LOGIN_MAX_FAILURES_PER_ACCOUNT, settings.LOGIN_MAX_FAILURES_PER_IP = 100, 4
    client = APIClient()
    for name in ("a1", "a2", "a3", "a4"):
        assert _login(client, name, "guess").status_code == 400
    response = _login(client, "limited", "limited-pass-123")
    assert response.status_code == 429 and "this address" in response.json()["detail"]
    assert _login(client, "limited", "limited-pass-123", address="198.51.100.9").status_code == 200


def test_a_successful_login_clears_the_account_count(account, settings):
    settings.LOGIN_MAX_FAILURES_PER_ACCOUNT = 3
    client = APIClient()
    for _ in range(2):
        assert _login(client, "limited", "wrong").status_code == 400
    assert _login(client, "limited", "limited-pass-123").status_code == 200
    for _ in range(2):
        assert _login(client, "limited", "wrong").status_code == 400
    assert _login(client, "limited", "limited-pass-123").status_code == 200


def test_responses_carry_csp_and_the_page_origin_for_websockets(client):
    response = client.get("/api/auth/csrf/")
    policy = response["Content-Security-Policy"]
    for directive in (
        "default-src 'self'",
        "script-src 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
    ):
        assert directive in policy
    assert "connect-src 'self' ws://testserver wss://testserver" in policy
    assert "unsafe-eval" not in policy and "camera=()" in response["Permissions-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff" and response["X-Frame-Options"] == "DENY"


def test_static_files_are_not_shared_with_every_origin(client):
    response = client.get("/static/admin/css/base.css")
    response.close()
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response


def test_the_api_docs_load_swagger_ui_from_this_server_only(client):
    page = client.get("/api/docs/").content.decode()
    assert "cdn." not in page and "https://" not in page
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert "<script>" not in page.replace(" ", "")  # every script has a src: the CSP needs no inline script
    bundle = client.get("/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")
    bundle.close()
    assert bundle.status_code == 200


def test_debug_pages_hide_connection_urls_and_passwords(settings):
    mark = "".join(["77", "31"])  # built at run time: the page also shows this source file's lines
    settings.DEBUG = True
    settings.DATABASE_URL = f"postgres://app:pg-pass-{mark}@db:5432/readingroom"
    settings.REDIS_URL = f"redis://:redis-pass-{mark}@cache:6379/0"
    settings.CELERY_BROKER_URL = f"redis://:broker-pass-{mark}@cache:6379/1"
    settings.SOME_OTHER_ENDPOINT = f"amqp://user:amqp-pass-{mark}@mq/"
    request = RequestFactory().get("/", DATABASE_URL=settings.DATABASE_URL, REDIS_URL=settings.REDIS_URL)
    connection = f"https://svc:local-pass-{mark}@example.org/"  # a local variable of the failing frame
    try:
        raise ValueError(f"cannot reach {connection}")
    except ValueError:
        page = technical_500_response(request, *sys.exc_info()).content.decode()
    assert "DATABASE_URL" in page and "SOME_OTHER_ENDPOINT" in page  # the page lists them, masked
    assert "pass-" + mark not in page


def test_an_administrator_can_lift_a_lockout(account, settings):
    from django.core.management import call_command

    settings.LOGIN_MAX_FAILURES_PER_ACCOUNT = 2
    client = APIClient()
    for _ in range(2):
        _login(client, "limited", "wrong")
    assert _login(client, "limited", "limited-pass-123").status_code == 429
    call_command("unlock_login", "--user", "limited")
    assert _login(client, "limited", "limited-pass-123").status_code == 200


class _UnreachableCache:
    """A cache whose server is down: every call fails as redis-py fails then."""

    def __getattr__(self, name):
        def fail(*args, **kwargs):
            from redis.exceptions import ConnectionError as RedisConnectionError

            raise RedisConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

        return fail


def test_logins_still_work_while_the_cache_is_unreachable(account, monkeypatch, caplog):
    """The login limits fail open: a restarting Redis must not turn every login into a server error."""
    client = APIClient()
    with monkeypatch.context() as patch:
        patch.setattr(throttle, "cache", _UnreachableCache())
        assert _login(client, "limited", "wrong").status_code == 400
        assert _login(client, "limited", "limited-pass-123").status_code == 200
    assert "login limits skipped: the cache is unreachable" in caplog.text
