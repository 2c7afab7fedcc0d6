"""Schemathesis over the OpenAPI schema: every operation, as every role, with generated (mostly invalid)
parameters and bodies; no request may end in a server error.

Bounded and repeatable for CI: ``API_FUZZ_EXAMPLES`` examples per operation and role (default 2),
derandomised, no example database. Half of the examples put the ids of real objects into the path (so the
generated bodies reach the views' validation), the other half keep the generated ones. The long run:
``API_FUZZ_EXAMPLES=200 .venv/bin/python -m pytest tests/readingroom/core/test_api_fuzz.py -q`` (also with
``DATABASE_URL`` set to PostgreSQL, where out-of-range integers fail differently).
"""

from __future__ import annotations

import json
import os
from urllib.parse import urlencode

import pytest
import schemathesis
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.readingroom.core.test_permission_matrix import ROLES, world  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "2"))
HOST = "localhost"


def _schema() -> schemathesis.specs.openapi.schemas.OpenApiSchema:
    import django

    django.setup()
    return schemathesis.openapi.from_dict(Client(HTTP_HOST=HOST).get("/api/schema/?format=json").json())


def _operations() -> list:
    return [result.ok() for result in _schema().get_all_operations()]


def _real_path(case, values: dict) -> dict:
    """The case's path parameters with the ids of real objects where the name is known."""
    out = dict(case.path_parameters or {})
    for name in out:
        key = "reader_study_id" if name == "study_id" and "/reader-studies/" in case.path else name
        if key in values:
            out[name] = values[key]
    return out


def _form_value(value) -> str:
    """A generated value as a form field (the test client refuses None and nested values)."""
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value)


def _send(client: Client, case, path_parameters: dict):
    path = case.path
    for name, value in path_parameters.items():
        path = path.replace("{" + name + "}", str(value))
    query = urlencode(case.query or {}, doseq=True)
    url = path + ("?" + query if query else "")
    method = case.method.lower()
    if method == "get":
        return client.get(url)
    body = case.body if case.body is not None and type(case.body).__name__ != "NotSet" else None
    if case.media_type == "application/x-www-form-urlencoded" and isinstance(body, dict):
        return getattr(client, method)(url, urlencode(body, doseq=True), content_type=case.media_type)
    if case.media_type and case.media_type.startswith("multipart/") and isinstance(body, dict):
        fields = {key: _form_value(value) for key, value in body.items()}
        return client.post(url, fields) if method == "post" else getattr(client, method)(url)
    data = json.dumps(body) if body is not None else ""
    return getattr(client, method)(url, data, content_type="application/json")


def _fuzz(operation, client: Client, values: dict, failures: list[str]) -> None:
    """Send ``EXAMPLES`` generated requests of ``operation`` with ``client``; note every server error."""

    @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(case=operation.as_strategy(), real=st.booleans())
    def fuzz(case, real):
        path_parameters = _real_path(case, values) if real else dict(case.path_parameters or {})
        response = _send(client, case, path_parameters)
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
        if response.status_code >= 500:
            failures.append(f"{case.method} {case.path} {path_parameters} q={case.query!r} "
                            f"body={case.body!r}: {response.status_code}")  # fmt: skip

    fuzz()


@pytest.mark.parametrize("role", ROLES)
def test_no_operation_answers_a_role_with_a_server_error(role, world):  # noqa: F811
    users, values = world
    client = Client(HTTP_HOST=HOST)
    if role != "anonymous":
        client.force_login(users[role])
    failures: list[str] = []
    for operation in _operations():
        _fuzz(operation, client, values, failures)
        if role != "anonymous" and not client.session.get("_auth_user_id"):
            client.force_login(users[role])  # a fuzzed logout (or login) ended the session
    assert failures == [], "\n".join(failures[:30])
