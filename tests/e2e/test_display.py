"""Exact at any display: view regions, zoom and gaze in one coordinate system (CSS px of the page) at every
device pixel ratio and window size, the image drawn at device resolution, layouts without overlap.

The test image is 1024x1024 with a bright square at image pixels x 560..760, y 400..600 on a grey ground.
Where the square appears on screen is read from a screenshot (device px), independently of the viewer's own
geometry; the mouse tracker then looks at a known screen point and the server's mapping of the stored
samples must give the image pixel the screenshot says is there.
"""

from __future__ import annotations

import io
import time

import numpy as np
import pytest

from readingroom.reading.models import ReadingProject, ReadingSession, ViewEvent
from tests.e2e.browser import chromium_page, login

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

SIZE = 1024
SQUARE = (560.0, 400.0, 760.0, 600.0)  # x0, y0, x1, y1 in image px (pixel edges)


def _write_target(path):
    from tests.readingroom.conftest import write_dicom

    write_dicom(path, rows=SIZE, columns=SIZE, window=(2048.0, 4096.0))
    import pydicom

    ds = pydicom.dcmread(path)
    pixels = np.full((SIZE, SIZE), 1024, dtype=np.uint16)
    x0, y0, x1, y1 = (int(v) for v in SQUARE)
    pixels[y0:y1, x0:x1] = 4000
    ds.PixelData = pixels.tobytes()
    ds.save_as(path, enforce_file_format=True)
    return path


@pytest.fixture
def target_case(tmp_path):
    from readingroom.core.services import user_create
    from readingroom.reading.services import project_assign
    from readingroom.studies.services import image_import_dicom

    reader = user_create(username="display-reader", password="display-pass-123", roles=["reader"])
    image = image_import_dicom(path=_write_target(tmp_path / "target.dcm"), indication="Target.").image
    project = ReadingProject.objects.create(name="display")
    return project_assign(project=project, reader=reader, studies=[image.study])[0]


def _open_case(page, url: str) -> None:
    login(page, url, "display-reader", "display-pass-123", path="/?sim=mouse")
    page.get_by_test_id("open-case").first.click()
    page.get_by_test_id("viewer").wait_for(timeout=20_000)
    page.wait_for_function(
        "() => parseInt(document.querySelector('[data-testid=gaze-views-acked]').textContent) >= 1",
        timeout=20_000,
    )
    page.wait_for_timeout(300)


def _wait_for_views_settled(page, session, timeout_s: float = 90.0) -> None:
    """Wait until every view change the page made is stored and acknowledged: the page's count of acked
    views equals the stored count and has not moved for a second (the viewer may coalesce key presses)."""
    deadline, last, since = time.monotonic() + timeout_s, None, time.monotonic()
    while time.monotonic() < deadline:
        # "N" views acknowledged, or "N (+k)" while k more wait for their acknowledgement
        text = page.evaluate("() => document.querySelector('[data-testid=gaze-views-acked]').textContent")
        acked, pending = int(text.split()[0]), "(+" in text
        state = (acked, ViewEvent.objects.filter(session=session).count())
        if state != last:
            last, since = state, time.monotonic()
        elif not pending and state[0] >= state[1] and time.monotonic() - since >= 1.0:
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"view changes not settled after {timeout_s} s (acked, stored) = {last}")


def _square_on_screen(page) -> tuple[float, float, float, float]:
    """The square's edges in client CSS px, from a screenshot of the viewer (half-way crossings, sub-pixel)."""
    from PIL import Image

    box = page.get_by_test_id("viewer").bounding_box()
    shot = np.asarray(Image.open(io.BytesIO(page.get_by_test_id("viewer").screenshot())).convert("L"), float)
    dpr = shot.shape[1] / box["width"]
    bright = shot > 200
    rows, cols = np.nonzero(bright)
    assert rows.size, "the square is not on screen"
    mid_row, mid_col = int(np.median(rows)), int(np.median(cols))

    def edges(profile: np.ndarray) -> tuple[float, float]:
        ground, top = np.percentile(profile, 5), profile.max()
        half = (ground + top) / 2
        inside = np.nonzero(profile > half)[0]
        i0, i1 = inside[0], inside[-1]
        # Linear interpolation of the half-way crossing between neighbouring device pixels; pixel i covers [i, i+1).
        left = i0 - (profile[i0] - half) / max(profile[i0] - profile[i0 - 1], 1e-9) + 0.5
        right = i1 + (profile[i1] - half) / max(profile[i1] - profile[i1 + 1], 1e-9) + 0.5
        return left, right

    left, right = edges(shot[mid_row, :])
    top, bottom = edges(shot[:, mid_col])
    return (box["x"] + left / dpr, box["y"] + top / dpr, box["x"] + right / dpr, box["y"] + bottom / dpr)


def _look_at_and_map(page, session: ReadingSession, point: tuple[int, int]) -> tuple[float, float]:
    """Look at a client point with the mouse tracker; the server-side mapping of those samples (median)."""
    import gaze_capture as gc
    from readingroom.gaze.analysis import session_gaze

    page.mouse.move(*point)
    page.get_by_test_id("gaze-start").dispatch_event("click")
    page.mouse.move(point[0] + 1, point[1])
    page.mouse.move(*point)
    page.wait_for_timeout(800)
    page.get_by_test_id("gaze-stop").dispatch_event("click")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=gaze-pending]').textContent === '0'", timeout=20_000
    )
    gaze = session_gaze(session=session)
    mapped, _, _ = gc.map_samples(gaze.samples, gaze.views)
    at = (gaze.samples.x == point[0]) & (gaze.samples.y == point[1]) & mapped.valid
    assert at.sum() >= 20, "too few samples at the point"
    return float(np.median(mapped.x[at])), float(np.median(mapped.y[at]))


def _expected_image_point(
    square: tuple[float, float, float, float], point: tuple[int, int]
) -> tuple[float, float]:
    sx0, sy0, sx1, sy1 = square
    ix0, iy0, ix1, iy1 = SQUARE
    return (
        ix0 + (point[0] - sx0) * (ix1 - ix0) / (sx1 - sx0),
        iy0 + (point[1] - sy0) * (iy1 - iy0) / (sy1 - sy0),
    )


DISPLAYS = [
    pytest.param(1400, 900, 1.0, id="1400x900@1"),
    pytest.param(1400, 900, 1.5, id="1400x900@1.5"),
    pytest.param(1400, 900, 2.0, id="1400x900@2"),
    pytest.param(1366, 768, 1.0, id="1366x768@1"),
    pytest.param(3840, 2160, 1.0, id="3840x2160@1"),
]


@pytest.mark.parametrize(("width", "height", "scale"), DISPLAYS)
def test_gaze_lands_on_the_image_pixel_at_any_display(
    live_stack, target_case, monkeypatch, width, height, scale
):
    with chromium_page(width=width, height=height, scale=scale, monkeypatch=monkeypatch) as page:
        _open_case(page, live_stack.url)
        session = ReadingSession.objects.filter(assignment=target_case).latest("id")

        # The canvas is drawn at device resolution.
        canvas = page.evaluate(
            "() => { const c = document.querySelector('[data-testid=viewer] canvas');"
            " const r = c.getBoundingClientRect(); return [c.width, c.height, r.width, r.height]; }"
        )
        assert abs(canvas[0] - canvas[2] * scale) <= 1 and abs(canvas[1] - canvas[3] * scale) <= 1, canvas

        # The first view: the whole image fitted into the canvas, in CSS px whatever the ratio.
        view = ViewEvent.objects.filter(session=session).order_by("id").first()
        left, top, right, bottom = view.screen_rect
        w, h = right - left, bottom - top
        fit = min(w, h) / SIZE
        expected = [
            -(w / fit - SIZE) / 2,
            -(h / fit - SIZE) / 2,
            SIZE + (w / fit - SIZE) / 2,
            SIZE + (h / fit - SIZE) / 2,
        ]
        assert np.allclose(view.image_region, expected, atol=1.0), (view.image_region, expected)
        assert view.zoom == pytest.approx(fit, rel=0.01)
        assert f"zoom {fit:.2f}" in page.get_by_test_id("viewer-window").inner_text()

        square = _square_on_screen(page)
        point = (round((square[0] + square[2]) / 2) + 7, round((square[1] + square[3]) / 2) - 5)
        got = _look_at_and_map(page, session, point)
        want = _expected_image_point(square, point)
        assert np.hypot(got[0] - want[0], got[1] - want[1]) <= 1.0, (got, want)
        assert [m for m in page.console_messages if m.startswith(("error", "pageerror"))] == []


def test_gaze_under_a_zoomed_and_panned_view_maps_within_one_pixel(live_stack, target_case, monkeypatch):
    with chromium_page(width=1400, height=900, scale=1.5, monkeypatch=monkeypatch) as page:
        _open_case(page, live_stack.url)
        session = ReadingSession.objects.filter(assignment=target_case).latest("id")
        # Zoom and pan from the keyboard (the image has the focus after opening the case).
        assert page.evaluate("() => document.activeElement?.dataset.testid") == "viewer"
        for key in ["+", "+", "p", "ArrowRight", "ArrowRight", "ArrowUp"]:
            page.keyboard.press(key)
        _wait_for_views_settled(page, session)
        view = ViewEvent.objects.filter(session=session).order_by("id").last()
        assert view.zoom > 1.3 * ViewEvent.objects.filter(session=session).order_by("id").first().zoom
        square = _square_on_screen(page)
        point = (
            round(square[0] + 0.3 * (square[2] - square[0])),
            round(square[1] + 0.6 * (square[3] - square[1])),
        )
        got = _look_at_and_map(page, session, point)
        want = _expected_image_point(square, point)
        assert np.hypot(got[0] - want[0], got[1] - want[1]) <= 1.0, (got, want)
