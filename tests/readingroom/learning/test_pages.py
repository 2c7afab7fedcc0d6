"""The server-rendered learning-curve page and its PNG."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from PIL import Image

from readingroom.core.services import user_create
from readingroom.learning.models import LearningLoop, LearningRound
from readingroom.reading.models import ReadingProject

pytestmark = pytest.mark.django_db


@pytest.fixture
def loop() -> LearningLoop:
    loop = LearningLoop.objects.create(project=ReadingProject.objects.create(name="Curve <project>"),
                                       scoring="entropy", strategy="top_k")  # fmt: skip
    for number, (reads, value) in enumerate([(8, 0.55), (16, 0.62)], start=1):
        LearningRound.objects.create(loop=loop, number=number, strategy="top_k", status="done", reads_at_end=reads,
                                     heldout_value=value)  # fmt: skip
    return loop


def _client(roles: list[str]) -> Client:
    client = Client()
    client.force_login(user_create(username="u", password="u-pass-123456", roles=roles))
    return client


def test_the_page_shows_the_curve_table_and_downloads(loop):
    html = _client(["lead"]).get(f"/learning/loops/{loop.pk}/").content.decode()
    assert "Curve &lt;project&gt;" in html  # escaped
    assert "<td>16</td><td>0.6200</td>" in html
    assert f'href="/api/learning/loops/{loop.pk}/curve/?download=csv"' in html
    png = _client(["engineer"]).get(f"/learning/loops/{loop.pk}/curve.png")
    assert png["Content-Type"] == "image/png"
    with Image.open(io.BytesIO(png.content)) as image:
        assert image.size == (600, 400)


def test_readers_and_anonymous_users_are_refused(loop, reader):
    assert Client().get(f"/learning/loops/{loop.pk}/").status_code == 403
    client = Client()
    client.force_login(reader)
    assert client.get(f"/learning/loops/{loop.pk}/curve.png").status_code == 403
    assert _client(["lead"]).get("/learning/loops/999/").status_code == 404


def test_an_empty_loop_says_so(loop):
    LearningRound.objects.all().delete()
    assert 'id="empty"' in _client(["lead"]).get(f"/learning/loops/{loop.pk}/").content.decode()
