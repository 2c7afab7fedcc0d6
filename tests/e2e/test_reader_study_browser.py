"""A reader study run through the web app: a lead sets up a two-arm study with two readers and starts it;
each reader calibrates the simulated tracker (9 points), reads their AI-assisted case with the simulator and
submits; the model's prediction and the gaze analysis reach the page pushed over its WebSocket (no results
request after the submit); blinding holds (reader 2's page gets 403 for reader 1's session)."""

from __future__ import annotations

import pytest

from readingroom.reading.models import ReadingSession, Report
from tests.e2e.browser import axe_violations, chromium_page, login

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

PASSWORD = "study-pass-123"


@pytest.fixture
def study_setup(tmp_path):
    """A lead, two readers, a frozen dataset version of one case and a registered tiny model."""
    from readingroom.core.services import user_create
    from readingroom.curation.services import dataset_create, dataset_version_freeze
    from readingroom.modeling.models import TrainingRun
    from readingroom.modeling.services import training_run_execute
    from readingroom.studies.services import image_import_dicom
    from tests.readingroom.conftest import write_dicom

    lead = user_create(username="study-lead", password=PASSWORD, roles=["lead"])
    for name in ("study-r1", "study-r2"):
        user_create(username=name, password=PASSWORD, roles=["reader"])
    image_import_dicom(path=write_dicom(tmp_path / "case.dcm", rows=512, columns=420), indication="Cough.")
    version = dataset_version_freeze(dataset=dataset_create(name="Study cases"), seed=1, user=lead)
    run = TrainingRun.objects.create(name="study", config_name="tiny", data_spec="phantoms:8", max_steps=2)
    assert training_run_execute(run_id=run.pk).status == "done"
    return version


def _lead_sets_up_and_starts(page, url: str, version_id: int) -> None:
    login(page, url, "study-lead", PASSWORD)
    page.get_by_role("heading", level=1, name="Reader studies").wait_for(timeout=20_000)
    page.get_by_test_id("study-name").fill("Browser study")
    page.get_by_test_id("arm-name-0").fill("With AI")
    page.get_by_test_id("arm-mode-0").select_option("ai_assisted")
    page.get_by_test_id("arm-name-1").fill("Second read")
    page.get_by_test_id("arm-mode-1").select_option("second_read")
    page.get_by_label("study-r1").check()
    page.get_by_label("study-r2").check()
    page.get_by_test_id("study-seed").fill("4242")
    page.get_by_test_id("study-create").click()
    assert page.get_by_test_id("study-form-error").inner_text() == "Give the id of a frozen dataset version."
    # a version that does not exist is refused by the API: its detail is shown, nothing is created
    page.get_by_test_id("study-version").fill("987654")
    page.get_by_test_id("study-create").click()
    page.wait_for_function(
        "() => document.querySelector('[data-testid=study-form-error]').textContent.startsWith('Not created: ')",
        timeout=20_000,
    )
    page.get_by_test_id("study-version").fill(str(version_id))
    assert axe_violations(page) == []
    page.get_by_test_id("study-create").click()
    page.get_by_test_id("study-start").click()
    page.wait_for_function(
        "() => document.querySelector('[data-testid=study-status]')?.textContent === 'running'",
        timeout=20_000,
    )
    page.get_by_test_id("progress-row").first.wait_for(timeout=20_000)
    assert page.get_by_test_id("progress-row").count() == 4  # two readers x two arms
    assert axe_violations(page) == []
    _logout(page)


def _reader_calibrates_reads_and_submits(page, url: str, username: str) -> tuple[int, Report]:
    page.console_messages.clear()  # the lead's refused set-up logged its 400
    login(page, url, username, PASSWORD, path="/?dwell=400")
    page.get_by_test_id("worklist-item").first.wait_for(timeout=20_000)
    rows = page.get_by_test_id("worklist-item")
    assert rows.count() == 2
    # the second-read arm waits until the AI-assisted arm is read
    assert page.locator("[data-testid=worklist-item][data-available=no]").count() == 1
    assert "Not open" in page.get_by_test_id("worklist-blocked").inner_text()
    page.locator("[data-testid=worklist-item][data-available=yes] [data-testid=open-case]").click()
    page.get_by_test_id("viewer").wait_for(timeout=20_000)
    assert page.get_by_test_id("reading-arm").get_attribute("data-mode") == "ai_assisted"
    page.wait_for_function(
        "() => document.querySelector('[data-testid=gaze-connection]')?.dataset.state === 'open'",
        timeout=20_000,
    )

    page.get_by_test_id("calibrate").click()
    page.wait_for_function(
        "() => document.querySelector('[data-testid=check-result]')?.dataset.kind === 'validation'",
        timeout=60_000,
    )
    assert page.get_by_test_id("check-result").get_attribute("data-passed") == "true"
    assert float(page.get_by_test_id("check-accuracy").inner_text().split()[0]) < 0.5
    page.wait_for_function(
        "() => document.querySelector('[data-testid=tracking-state]')?.dataset.state === 'ok'", timeout=20_000
    )

    # AI-assisted: the prediction is there from the start, pushed when the worker has it
    page.wait_for_function(
        "() => document.querySelector('[data-testid=prediction-panel]')?.dataset.status === 'done'",
        timeout=90_000,
    )
    page.get_by_test_id("gaze-start").click()
    page.wait_for_function(
        "() => Number(document.querySelector('[data-testid=gaze-acked]').textContent) >= 10", timeout=30_000
    )
    assert page.get_by_test_id("live-loss").inner_text() == "0 %"
    page.get_by_test_id("report-findings").press_sequentially("Heart normal. Lungs clear.", delay=5)
    page.get_by_test_id("report-impression").press_sequentially("Normal chest.", delay=5)
    page.get_by_test_id("label-No-Finding").select_option("present")
    results_requests = len([u for u in page.requested_urls if u.endswith("/results/")])
    page.get_by_test_id("report-submit").click()
    page.get_by_test_id("report-locked").wait_for(timeout=30_000)
    page.wait_for_function(
        "() => document.querySelector('[data-testid=results-status]')?.dataset.status === 'done'",
        timeout=90_000,
    )
    # the analysis came over the socket: no results request since the submit
    assert len([u for u in page.requested_urls if u.endswith("/results/")]) == results_requests
    assert page.locator("[data-testid=prediction-table] tbody tr").count() == 14
    assert page.locator("tr[data-observation='No Finding'][data-agree]").count() == 1
    page.get_by_test_id("report-version").first.wait_for(timeout=20_000)
    assert page.get_by_test_id("report-version").first.get_attribute("data-kind") == "first_read"
    assert axe_violations(page) == []
    errors = [m for m in page.console_messages if m.startswith(("error", "pageerror"))]
    assert errors == [], page.refused_responses
    session = ReadingSession.objects.get(reader__username=username, status="submitted")
    report = Report.objects.get(session=session)
    return session.pk, report


def _logout(page) -> None:
    page.get_by_test_id("logout").click()
    page.get_by_test_id("login-username").wait_for(timeout=20_000)  # signed out before the next sign-in
    # requests the previous user's page still had in flight end now (a 403 once signed out), before the next
    # user's console is checked
    page.wait_for_load_state("networkidle", timeout=20_000)
    page.wait_for_timeout(500)


FETCH_STATUS = "async (path) => (await fetch(path, {credentials: 'same-origin'})).status"


def test_a_lead_runs_a_two_arm_study_with_two_readers_in_the_web_app(live_stack, study_setup, monkeypatch):
    with chromium_page(width=1920, height=1080, monkeypatch=monkeypatch) as page:
        _lead_sets_up_and_starts(page, live_stack.url, study_setup.pk)
        first_session, first_report = _reader_calibrates_reads_and_submits(page, live_stack.url, "study-r1")
        _logout(page)
        second_session, _ = _reader_calibrates_reads_and_submits(page, live_stack.url, "study-r2")
        assert second_session != first_session
        # blinding: from reader 2's page, reader 1's session and its products are refused
        for path in ("results/", "report/", "tracking/", "heatmap.png"):
            status = page.evaluate(FETCH_STATUS, f"/api/sessions/{first_session}/{path}")
            assert status in (403, 404), (path, status)
        _logout(page)
        _reader_reads_the_second_read_arm(page, live_stack.url, "study-r1")
        _logout(page)

        login(page, live_stack.url, "study-lead", PASSWORD)
        page.get_by_role("link", name="Browser study").click()
        page.get_by_test_id("reading-row").first.wait_for(timeout=20_000)
        assert page.get_by_test_id("reading-row").count() == 3
        done = page.locator("[data-testid=progress-row][data-reader=study-r1][data-done='1']")
        assert done.count() == 2  # reader 1 finished both arms

    texts = [s["text"] for s in first_report.versions.get(number=1).sentences]
    assert texts == ["Heart normal.", "Lungs clear.", "Normal chest."]


def _reader_reads_the_second_read_arm(page, url: str, username: str) -> None:
    """The next case: a drift check first; the prediction only after the first submit, then the second read;
    then an amendment (with its reason) becomes a third version."""
    page.console_messages.clear()
    login(page, url, username, PASSWORD, path="/?dwell=400")
    page.locator("[data-testid=worklist-item][data-status=pending] [data-testid=open-case]").click()
    page.get_by_test_id("viewer").wait_for(timeout=20_000)
    assert page.get_by_test_id("reading-arm").get_attribute("data-mode") == "second_read"
    page.wait_for_function(
        "() => document.querySelector('[data-testid=tracking-state]')?.dataset.state === 'drift_check_due'",
        timeout=20_000,
    )
    page.get_by_test_id("drift-check").click()
    page.wait_for_function(
        "() => document.querySelector('[data-testid=tracking-state]')?.dataset.state === 'ok'", timeout=30_000
    )
    assert page.get_by_test_id("check-result").get_attribute("data-kind") == "drift"
    assert page.get_by_test_id("results-panel").count() == 0  # no model before the first submit
    page.get_by_test_id("report-findings").fill("Heart normal.")
    page.get_by_test_id("report-submit").click()
    page.get_by_test_id("report-locked").wait_for(timeout=30_000)
    page.wait_for_function(
        "() => document.querySelector('[data-testid=prediction-panel]')?.dataset.status === 'done'",
        timeout=90_000,
    )
    page.get_by_test_id("second-findings").fill("Heart normal. Lungs clear.")
    page.get_by_test_id("second-label-No-Finding").select_option("present")
    page.get_by_test_id("second-submit").click()
    page.get_by_test_id("second-locked").wait_for(timeout=30_000)
    page.wait_for_function("() => document.querySelectorAll('[data-testid=report-version]').length === 2")
    page.get_by_test_id("amend-open").click()
    page.get_by_test_id("amend-submit").click()
    assert page.get_by_test_id("amend-error").inner_text() == "Say why the report is amended."
    page.get_by_test_id("amend-reason").fill("typing error")
    page.get_by_test_id("amend-submit").click()
    page.wait_for_function("() => document.querySelectorAll('[data-testid=report-version]').length === 3")
    kinds = [v.get_attribute("data-kind") for v in page.get_by_test_id("report-version").all()]
    assert kinds == ["first_read", "second_read", "amendment"]
    assert axe_violations(page) == []
    assert [m for m in page.console_messages if m.startswith(("error", "pageerror"))] == []
