"""Layouts from 1366x768 to 3840x2160 at scaling 1 to 2: nothing overlaps, every control of the report can be
clicked, the observation drop-downs show their whole text; axe-core finds no violations on any page; focus
stays where the user is; after submit the live gaze-density grid is gone from the overlay."""

from __future__ import annotations

import pytest

from readingroom.reading.models import ReadingProject
from tests.e2e.browser import axe_violations, chromium_page, login

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


@pytest.fixture
def layout_case(tmp_path):
    from readingroom.core.services import user_create
    from readingroom.reading.services import project_assign
    from readingroom.studies.services import image_import_dicom
    from tests.readingroom.conftest import write_dicom

    reader = user_create(username="layout-reader", password="layout-pass-123", roles=["reader"])
    user_create(username="layout-curator", password="layout-pass-123", roles=["curator"])
    user_create(username="layout-lead", password="layout-pass-123", roles=["lead"])
    image = image_import_dicom(
        path=write_dicom(tmp_path / "c.dcm", rows=512, columns=420), indication="Cough."
    ).image
    project = ReadingProject.objects.create(name="layout")
    return project_assign(project=project, reader=reader, studies=[image.study])[0]


def _open_case(page, url: str) -> None:
    login(page, url, "layout-reader", "layout-pass-123")
    page.get_by_test_id("open-case").first.click()
    page.get_by_test_id("viewer").wait_for(timeout=20_000)
    page.wait_for_function(
        "() => parseInt(document.querySelector('[data-testid=gaze-views-acked]').textContent) >= 1",
        timeout=20_000,
    )


OVERLAPS = """() => {
  const boxes = ['.side', '.viewer-column', '.right'].map((s) => document.querySelector(s).getBoundingClientRect());
  const out = [];
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    const a = boxes[i], b = boxes[j];
    if (a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5) out.push([i, j]);
  }
  return out;
}"""

HIT = """(testid) => {
  const el = document.querySelector(`[data-testid="${testid}"]`);
  el.scrollIntoView({block: 'center'});
  const r = el.getBoundingClientRect();
  const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  return hit === el || el.contains(hit);
}"""

# Room the longest option needs: its text in the select's font with a 10% margin (other machines' fonts
# run wider than this Chromium's), the padding, and the drop-down arrow (about 24 CSS px).
SELECT_FITS = """() => [...document.querySelectorAll('.obs-row select')].every((s) => {
  const style = getComputedStyle(s);
  const ctx = document.createElement('canvas').getContext('2d');
  ctx.font = style.font;
  const text = Math.max(...[...s.options].map((o) => ctx.measureText(o.text).width));
  return s.clientWidth >= 1.1 * text + parseFloat(style.paddingLeft) + parseFloat(style.paddingRight) + 24;
})"""


# WCAG 2.1 contrast ratio of a control's border against its own background and the page's (1.4.11: 3:1).
BORDER_CONTRAST = """(selector) => {
  const lum = (css) => {
    const [r, g, b] = css.match(/[\\d.]+/g).slice(0, 3).map((v) => {
      const c = Number(v) / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const ratio = (a, b) => (Math.max(lum(a), lum(b)) + 0.05) / (Math.min(lum(a), lum(b)) + 0.05);
  const el = document.querySelector(selector);
  const style = getComputedStyle(el);
  let page = el.parentElement;
  while (page && getComputedStyle(page).backgroundColor === 'rgba(0, 0, 0, 0)') page = page.parentElement;
  const ground = page ? getComputedStyle(page).backgroundColor : 'rgb(255, 255, 255)';
  return Math.min(ratio(style.borderTopColor, style.backgroundColor), ratio(style.borderTopColor, ground));
}"""


@pytest.mark.parametrize(
    ("width", "height", "scale"),
    [
        pytest.param(1366, 768, 1.0, id="1366x768@1"),
        pytest.param(1093, 614, 1.25, id="1366x768@1.25"),
        pytest.param(911, 512, 1.5, id="1366x768@1.5"),
        pytest.param(1920, 1080, 1.0, id="1920x1080@1"),
        pytest.param(1920, 1080, 2.0, id="3840x2160@2"),
        pytest.param(3840, 2160, 1.0, id="3840x2160@1"),
    ],
)
def test_reading_layout_has_no_overlap(live_stack, layout_case, monkeypatch, width, height, scale):
    with chromium_page(width=width, height=height, scale=scale, monkeypatch=monkeypatch) as page:
        _open_case(page, live_stack.url)
        assert page.evaluate(OVERLAPS) == []
        for testid in ("report-findings", "label-No-Finding", "report-submit", "gaze-start", "tool-zoom"):
            assert page.evaluate(HIT, testid), f"{testid} is covered"
        assert page.evaluate(SELECT_FITS), "an observation drop-down cuts its text off"


def test_pages_pass_axe_and_keep_the_focus(live_stack, layout_case, monkeypatch):
    with chromium_page(width=1920, height=1080, monkeypatch=monkeypatch) as page:
        page.goto(live_stack.url + "/")
        page.get_by_test_id("login-username").wait_for()
        assert page.title() == "Sign in · CoGaze reading room"
        assert axe_violations(page) == []
        assert page.evaluate(BORDER_CONTRAST, "[data-testid=login-username]") >= 3.0
        login(page, live_stack.url, "layout-reader", "layout-pass-123")
        page.get_by_test_id("worklist-item").first.wait_for(timeout=20_000)
        assert page.title() == "Worklist · CoGaze reading room"
        assert page.evaluate("() => document.activeElement.tagName") == "H1"
        assert axe_violations(page) == []

        page.get_by_test_id("open-case").first.click()
        page.wait_for_function(
            "() => document.activeElement?.dataset.testid === 'viewer'", timeout=20_000
        )  # opening a case puts the focus on the image
        assert page.title().startswith("Reading: ")
        assert page.locator("h1").count() == 1
        page.get_by_test_id("gaze-show-density").check()
        page.get_by_test_id("gaze-start").click()
        page.wait_for_function(
            "() => document.querySelector('[data-testid=heatmap-overlay]').dataset.density === 'on'",
            timeout=20_000,
        )
        page.wait_for_timeout(1200)
        assert axe_violations(page) == []
        for control in ("report-findings", "label-Edema", "gaze-rate"):
            assert page.evaluate(BORDER_CONTRAST, f"[data-testid={control}]") >= 3.0, control

        page.get_by_test_id("report-findings").fill("Clear lungs.")
        page.get_by_test_id("report-submit").click()
        page.wait_for_function(
            "() => document.querySelector('[data-testid=results-status]')?.dataset.status === 'done'",
            timeout=90_000,
        )
        assert page.evaluate("() => document.activeElement.textContent") == "Results"
        assert page.get_by_test_id("report-locked").is_visible()
        assert page.get_by_test_id("report-findings").get_attribute("readonly") is not None
        page.wait_for_timeout(1200)  # the density timer would have redrawn by now
        assert page.get_by_test_id("heatmap-overlay").get_attribute("data-density") == "off"
        assert page.get_by_test_id("heatmap-overlay").get_attribute("data-layer") == "heatmap"
        assert axe_violations(page) == []
        assert [m for m in page.console_messages if m.startswith(("error", "pageerror"))] == []

        page.get_by_test_id("logout").click()
        login(page, live_stack.url, "layout-curator", "layout-pass-123")
        for title in ("Imports", "Cohorts", "Datasets"):
            page.get_by_role("link", name=title).click()
            page.get_by_role("heading", level=1, name=title).wait_for()
            page.wait_for_timeout(300)
            assert page.title() == f"{title} · CoGaze reading room"
            assert axe_violations(page) == [], title

        page.get_by_test_id("logout").click()
        login(page, live_stack.url, "layout-lead", "layout-pass-123")
        page.get_by_role("heading", level=1, name="Reader studies").wait_for(timeout=20_000)
        page.get_by_role("checkbox", name="layout-reader").wait_for(timeout=20_000)
        assert page.title() == "Reader studies · CoGaze reading room"
        assert axe_violations(page) == [], "Reader studies"
