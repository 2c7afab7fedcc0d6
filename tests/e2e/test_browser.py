"""The walking skeleton in a real browser (headless Chromium) against daphne and a Celery worker.

A reader logs in, opens the case from the worklist, the viewer renders the radiograph (Cornerstone3D, CPU
rendering), the simulated tracker streams gaze over the WebSocket, zoom and window/level respond, the report
is submitted, and the worker's heatmap and the prediction panel appear.
"""

from __future__ import annotations

import numpy as np
import pytest

from readingroom.reading.models import ReadingProject
from tests.e2e.browser import chromium_page

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


@pytest.fixture
def browser_page(monkeypatch):
    with chromium_page(monkeypatch=monkeypatch) as page:
        yield page


@pytest.fixture
def case(tmp_path):
    from readingroom.core.services import user_create
    from readingroom.reading.services import project_assign
    from readingroom.studies.services import image_import_dicom
    from tests.readingroom.conftest import write_dicom

    reader = user_create(username="browser-reader", password="browser-pass-123", roles=["reader"])
    image = image_import_dicom(path=write_dicom(tmp_path / "case.dcm", rows=320, columns=256), indication="Fever.",
                               history="Asthma.").image  # fmt: skip
    project = ReadingProject.objects.create(name="browser")
    assignment = project_assign(project=project, reader=reader, studies=[image.study])[0]
    return assignment, image


def _int(page, testid: str) -> int:
    text = page.get_by_test_id(testid).inner_text().replace(",", "").strip()
    return int(text) if text.lstrip("-").isdigit() else -1


def _viewer_pixels(page) -> np.ndarray:
    import io

    from PIL import Image

    return np.asarray(
        Image.open(io.BytesIO(page.get_by_test_id("viewer").screenshot())).convert("L"), dtype=float
    )


def test_reader_reads_a_case_with_simulated_gaze(live_stack, case, browser_page):
    page = browser_page
    assignment, image = case
    page.goto(live_stack.url + "/")
    page.get_by_test_id("login-username").fill("browser-reader")
    page.get_by_test_id("login-password").fill("browser-pass-123")
    page.get_by_test_id("login-submit").click()

    item = page.get_by_test_id("worklist-item")
    item.first.wait_for(timeout=20_000)
    assert item.count() == 1
    page.get_by_test_id("open-case").first.click()

    page.get_by_test_id("viewer").wait_for(timeout=20_000)
    assert page.get_by_test_id("context-indication").inner_text() == "Fever."
    # The radiograph is drawn: the viewer is not a blank canvas.
    page.wait_for_function(
        "() => { const c = document.querySelector('[data-testid=viewer] canvas'); return c && c.width > 0; }",
        timeout=20_000,
    )
    page.wait_for_timeout(1000)
    before = _viewer_pixels(page)
    assert before.std() > 10, "the viewer shows no image"

    page.get_by_test_id("gaze-start").click()
    page.wait_for_function(
        "() => Number(document.querySelector('[data-testid=gaze-acked]').textContent.replace(/,/g, '')) >= 15",
        timeout=30_000,
    )
    # Zoom with the wheel and change the window with a left drag: the picture must change.
    box = page.get_by_test_id("viewer").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.wheel(0, -400)
    page.wait_for_timeout(500)
    zoomed = _viewer_pixels(page)
    assert np.abs(zoomed - before).mean() > 1.0, "zoom did not change the view"
    page.wait_for_timeout(1500)  # more gaze on the zoomed view
    page.get_by_test_id("gaze-stop").click()

    page.get_by_test_id("report-findings").fill("Lungs are clear. No effusion.")
    page.get_by_test_id("report-impression").fill("Normal chest.")
    page.get_by_test_id("label-No-Finding").select_option("present")
    page.get_by_test_id("label-Pleural-Effusion").select_option("absent")
    page.get_by_test_id("report-submit").click()

    page.wait_for_function(
        "() => ['done', 'failed'].includes(document.querySelector('[data-testid=results-status]')?.dataset.status)",
        timeout=90_000,
    )
    assert page.get_by_test_id("results-status").get_attribute("data-status") == "done", page.console_messages
    assert _int(page, "fixation-count") >= 3
    page.get_by_test_id("heatmap-overlay").wait_for(state="visible", timeout=20_000)
    page.wait_for_function(
        "() => document.querySelector('[data-testid=prediction-panel]').dataset.status === 'no_model'",
        timeout=30_000,
    )
    assert "No model is registered" in page.get_by_test_id("prediction-panel").inner_text()

    from readingroom.gaze.models import GazeAnalysis, GazeChunk
    from readingroom.reading.models import Report, ViewEvent

    report = Report.objects.get(session__assignment=assignment)
    assert report.labels["No Finding"] == "present" and report.labels["Pleural Effusion"] == "absent"
    assert ViewEvent.objects.filter(session__assignment=assignment).count() >= 2  # initial view and the zoom
    zooms = {round(v.zoom or 0, 2) for v in ViewEvent.objects.filter(session__assignment=assignment)}
    assert len(zooms) >= 2
    streams = set(GazeChunk.objects.filter(session__assignment=assignment).values_list("stream", flat=True))
    assert len(streams) == 1 and streams.pop().startswith("web-")  # one page load, one stream
    analysis = GazeAnalysis.objects.get(session__assignment=assignment)
    assert analysis.on_image_fraction > 0.5  # the simulator dwells on the image
    errors = [m for m in page.console_messages if m.startswith(("error", "pageerror"))]
    assert errors == []
    # The viewer loads its pixels through WADO-RS, not the private raw-pixels endpoint.
    frames = [u for u in page.requested_urls if "/api/dicomweb/studies/" in u and u.endswith("/frames/1")]
    assert frames
    assert not [u for u in page.requested_urls if "/pixels" in u]


@pytest.fixture
def imported_cases(tmp_path):
    """A JPEG 2000 CR (real, MONOCHROME1) and, where the shared data is present, a Hannover PNG."""
    from pydicom.data import get_testdata_file

    from readingroom.core.services import user_create
    from readingroom.reading.services import project_assign
    from readingroom.studies.services import image_import_bitmap, image_import_dicom
    from tests.conftest import SHARED_DATA

    reader = user_create(username="viewer-reader", password="viewer-pass-123", roles=["reader"])
    images = [image_import_dicom(path=get_testdata_file("RG1_J2KI.dcm", download=False)).image]
    hannover = SHARED_DATA / "cxr_hannover_covid19" / "png"
    if hannover.is_dir():
        images.append(image_import_bitmap(path=sorted(hannover.glob("*.png"))[0]).image)
    project = ReadingProject.objects.create(name="viewer")
    project_assign(project=project, reader=reader, studies=[image.study for image in images])
    return images


def test_imported_images_open_in_the_viewer(live_stack, imported_cases, browser_page):
    page = browser_page
    page.goto(live_stack.url + "/")
    page.get_by_test_id("login-username").fill("viewer-reader")
    page.get_by_test_id("login-password").fill("viewer-pass-123")
    page.get_by_test_id("login-submit").click()
    page.get_by_test_id("worklist-item").first.wait_for(timeout=20_000)
    page.console_messages.clear()
    assert page.get_by_test_id("worklist-item").count() == len(imported_cases)
    for index in range(len(imported_cases)):
        page.get_by_test_id("open-case").nth(index).click()
        page.get_by_test_id("viewer").wait_for(timeout=20_000)
        page.wait_for_function(
            "() => { const c = document.querySelector('[data-testid=viewer] canvas'); return c && c.width > 0; }",
            timeout=30_000,
        )
        page.wait_for_timeout(1500)
        pixels = _viewer_pixels(page)
        assert pixels.std() > 10, f"case {index}: the viewer shows no image"
        page.go_back()
        page.get_by_test_id("worklist-item").first.wait_for(timeout=20_000)
    errors = [m for m in page.console_messages if m.startswith(("error", "pageerror"))]
    assert errors == []
    frames = [u for u in page.requested_urls if "/api/dicomweb/studies/" in u and u.endswith("/frames/1")]
    assert len(frames) >= len(imported_cases)
    assert not [u for u in page.requested_urls if "/pixels" in u]
