"""The learning-curve page in a real browser (headless Chromium) served by daphne."""

from __future__ import annotations

import pytest
from django.test import Client

from readingroom.core.services import user_create
from readingroom.learning.models import LearningLoop, LearningRound
from readingroom.reading.models import ReadingProject
from tests.e2e.test_browser import browser_page  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_a_study_lead_opens_the_learning_curve(live_stack, browser_page):  # noqa: F811
    loop = LearningLoop.objects.create(
        project=ReadingProject.objects.create(name="Browser AL"), scoring="entropy"
    )
    for number, (reads, value) in enumerate([(8, 0.55), (16, 0.62), (24, 0.64)], start=1):
        LearningRound.objects.create(loop=loop, number=number, strategy="top_k", status="done", reads_at_end=reads,
                                     heldout_value=value)  # fmt: skip
    client = Client()
    client.force_login(user_create(username="browser-lead", password="browser-lead-123", roles=["lead"]))
    browser_page.context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value,
                                       "url": live_stack.url}])  # fmt: skip
    browser_page.goto(f"{live_stack.url}/learning/loops/{loop.pk}/")
    assert browser_page.locator("h1").inner_text() == "Learning curve: Browser AL"
    assert browser_page.locator("#curve tbody tr").count() == 3
    browser_page.wait_for_function("() => document.querySelector('img').complete")
    assert browser_page.evaluate("() => document.querySelector('img').naturalWidth") == 600
    with browser_page.expect_download() as download:
        browser_page.get_by_text("CSV").click()
    assert download.value.suggested_filename == f"learning-loop-{loop.pk}-curve.csv"
