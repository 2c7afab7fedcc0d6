"""The reader-study analytics page in a real browser (headless Chromium) against daphne: a study lead opens
the analytics of a SYNTHETIC two-arm study read by simulated readers, sees the tables and the server-drawn
figures, and downloads the archive."""

from __future__ import annotations

import zipfile

import pytest

from tests.e2e.browser import axe_violations, chromium_page, login

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


@pytest.fixture
def simulated_study():
    from readingroom.analytics.demo import demo_analytics_ensure
    from readingroom.core.services import user_create

    lead = user_create(username="browser-lead", password="browser-lead-123", roles=["lead"])
    readers = [
        user_create(username=f"browser-sim{i}", password="reader-pass-123", roles=["reader"])
        for i in range(2)
    ]
    return demo_analytics_ensure(lead=lead, readers=readers, n_cases=5, seed=3)


def test_lead_opens_the_analytics_page_and_downloads_the_archive(
    live_stack, simulated_study, monkeypatch, tmp_path
):
    with chromium_page(monkeypatch=monkeypatch) as page:
        login(page, live_stack.url, "browser-lead", "browser-lead-123",
              path=f"/reader-studies/{simulated_study.pk}/analytics")  # fmt: skip
        summary = page.get_by_test_id("analytics-summary")
        summary.wait_for(timeout=120_000)
        assert summary.inner_text().startswith("20 reads")
        assert page.get_by_test_id("analytics-table-accuracy").locator("tbody tr").count() >= 3
        for name in ("heatmaps", "arms", "roc", "calibration"):
            img = page.get_by_test_id(f"analytics-figure-{name}")
            page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=img.element_handle(),
                                   timeout=60_000)  # fmt: skip
        assert axe_violations(page) == []
        with page.expect_download(timeout=120_000) as download_info:
            page.get_by_test_id("analytics-archive").click()
        path = tmp_path / "archive.zip"
        download_info.value.save_as(path)
        names = set(zipfile.ZipFile(path).namelist())
        assert {
            "reads.csv",
            "reads.parquet",
            "fixations.parquet",
            "observations.csv",
            "data_dictionary.md",
        } <= names
        assert not [m for m in page.console_messages if m.startswith(("error", "pageerror"))]
