"""A client driven only by the OpenAPI schema can make every unsafe call: the schema declares the session
cookie and the CSRF header, and applying its security requirements passes Django's CSRF check."""

from __future__ import annotations

import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

_UNSAFE = ("post", "put", "patch", "delete")


class SchemaClient:
    """A generic client: operations and their security come from the schema, nothing is hand-written.

    Cookie schemes are the session's cookies; a header scheme gets the value its description names
    (the ``csrftoken`` cookie, which the schema's description says ``GET /api/auth/csrf/`` sets).
    """

    def __init__(self, http: Client, schema: dict):
        self.http, self.schema = http, schema

    def operations(self, methods: tuple[str, ...]):
        for path, item in self.schema["paths"].items():
            for method, operation in item.items():
                if method in methods:
                    yield path, method, operation

    def _headers(self, operation: dict) -> dict[str, str]:
        schemes = self.schema["components"]["securitySchemes"]
        headers = {}
        for requirement in operation.get("security", [])[:1]:
            for name in requirement:
                scheme = schemes[name]
                if scheme["in"] == "header":
                    cookie = re.search(r"'([a-z_]+)' cookie", scheme["description"]).group(1)
                    headers[scheme["name"]] = self.http.cookies[cookie].value
        return headers

    def call(self, path: str, method: str, operation: dict):
        url = re.sub(r"\{[^}]+\}", "1", path)
        headers = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in self._headers(operation).items()}
        return getattr(self.http, method)(url, data={}, content_type="application/json", **headers)


@pytest.fixture
def schema_client(db) -> SchemaClient:
    from readingroom.core.services import user_create

    user_create(username="admin", password="admin-pass-123", roles=["admin"])
    http = Client(enforce_csrf_checks=True)
    http.get("/api/auth/csrf/")
    login = http.post("/api/auth/login/", {"username": "admin", "password": "admin-pass-123"},
                      content_type="application/json", HTTP_X_CSRFTOKEN=http.cookies["csrftoken"].value)  # fmt: skip
    assert login.status_code == 200, login.content
    schema = http.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    return SchemaClient(http, schema.json())


def test_the_schema_declares_the_session_cookie_and_the_csrf_header(schema_client):
    schemes = schema_client.schema["components"]["securitySchemes"]
    assert schemes["cookieAuth"] == {
        **schemes["cookieAuth"],
        "type": "apiKey",
        "in": "cookie",
        "name": "sessionid",
    }
    assert schemes["csrfToken"] == {
        **schemes["csrfToken"],
        "type": "apiKey",
        "in": "header",
        "name": "X-CSRFToken",
    }
    unsafe = list(schema_client.operations(_UNSAFE))
    assert len(unsafe) >= 8
    for path, method, operation in unsafe:
        assert {"cookieAuth": [], "csrfToken": []} in operation["security"], (method, path)
    for path, _, operation in schema_client.operations(("get",)):
        assert all("csrfToken" not in requirement for requirement in operation.get("security", [])), path


def test_every_unsafe_call_passes_the_csrf_check_with_what_the_schema_declares(schema_client):
    unsafe = sorted(schema_client.operations(_UNSAFE), key=lambda op: op[0] == "/api/auth/logout/")
    for path, method, operation in unsafe:
        response = schema_client.call(path, method, operation)
        detail = (
            response.json().get("detail", "") if response.get("Content-Type") == "application/json" else ""
        )
        assert "CSRF" not in str(detail), (method, path, detail)
        assert response.status_code != 403, (method, path, response.status_code, detail)


def test_without_the_csrf_header_an_unsafe_call_is_refused(schema_client):
    (path, method, operation) = next(
        op for op in schema_client.operations(("post",)) if op[0] == "/api/cohorts/"
    )
    schema_client._headers = lambda operation: {}
    response = schema_client.call(path, method, operation)
    assert response.status_code == 403 and "CSRF" in response.json()["detail"]
