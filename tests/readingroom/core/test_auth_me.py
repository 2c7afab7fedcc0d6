"""GET /api/auth/me/ answers anonymous visitors without an error status (the app asks on every page load)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient


@pytest.mark.django_db
def test_me_answers_anonymous_with_200_and_no_user():
    response = APIClient().get("/api/auth/me/")
    assert response.status_code == 200
    assert response.json() == {"authenticated": False, "user": None}


@pytest.mark.django_db
def test_me_returns_the_logged_in_user(reader):
    client = APIClient()
    client.force_authenticate(reader)
    body = client.get("/api/auth/me/").json()
    assert body["authenticated"] is True
    assert body["user"]["username"] == reader.username
    assert "reader" in body["user"]["roles"]
