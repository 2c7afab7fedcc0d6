"""The learning curve as a PNG, and the loop's page served by the single-page app."""

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


def test_the_curve_png(loop):
    png = _client(["engineer"]).get(f"/learning/loops/{loop.pk}/curve.png")
    assert png["Content-Type"] == "image/png"
    with Image.open(io.BytesIO(png.content)) as image:
        assert image.size == (600, 400)


def test_readers_and_anonymous_users_are_refused_the_png(loop, reader):
    assert Client().get(f"/learning/loops/{loop.pk}/curve.png").status_code == 403
    client = Client()
    client.force_login(reader)
    assert client.get(f"/learning/loops/{loop.pk}/curve.png").status_code == 403
    assert _client(["lead"]).get("/learning/loops/999/curve.png").status_code == 404


def test_the_loop_page_is_the_single_page_app(loop, settings, tmp_path):
    settings.FRONTEND_DIST = tmp_path
    (tmp_path / "index.html").write_text("<!doctype html><div id=app></div>")
    page = _client(["lead"]).get(f"/learning/loops/{loop.pk}/")
    assert page.status_code == 200 and page.content.decode() == "<!doctype html><div id=app></div>"
