"""The Learning area in a real browser (headless Chromium) against daphne and a Celery worker: a study lead
opens a loop whose first round was read by a simulated reader and finished by the worker (retrained,
evaluated on held-out phantoms, promoted), sees the learning curve and the rounds, starts the next round from
the page, sees what it selected with the scores of round 1's model, and downloads tables and figures."""

from __future__ import annotations

import pytest

from readingroom.core.services import user_create
from readingroom.learning.models import LearningRound
from readingroom.learning.platform_run import phantoms_import, simulated_read
from readingroom.learning.services import loop_create, round_start
from readingroom.learning.simulation import SimulationSettings, phantom_pool
from readingroom.reading.models import ReadingProject
from tests.e2e.browser import axe_violations, chromium_page, login
from tests.e2e.learning import round_wait

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser, pytest.mark.services]
LEAD, PASSWORD = "browser-al-lead", "browser-al-lead-123"


@pytest.fixture
def finished_round(live_stack) -> LearningRound:
    """A loop over 6 SYNTHETIC phantoms whose round 1 (2 studies, at random: no model yet) the worker finished."""
    user_create(username=LEAD, password=PASSWORD, roles=["lead"])
    reader = user_create(username="browser-al-reader", password="browser-al-reader-1", roles=["reader"])
    pool = phantom_pool(SimulationSettings(pool=6, heldout=6))[0]
    images = phantoms_import(pool)
    loop = loop_create(project_id=ReadingProject.objects.create(name="Browser AL").pk, reader_ids=[reader.pk],
                       pool_studies=[i.study_id for i in images], scoring="entropy", per_round=2, heldout_phantoms=6,
                       train_steps=2, plateau_rounds=0)  # fmt: skip
    rnd = round_start(loop=loop)
    # each submitted report ticks the loop on the worker, which retrains, evaluates and promotes
    simulated_read(
        rnd=rnd, reader=reader, samples_by_image={i.pk: s for i, s in zip(images, pool, strict=True)}
    )
    round_wait(rnd)
    assert rnd.status == LearningRound.Status.DONE, (rnd.status, rnd.error)
    return rnd


def test_a_lead_follows_a_learning_loop_and_downloads_its_figures_and_tables(
    live_stack, finished_round, monkeypatch, tmp_path
):
    loop_id = finished_round.loop_id
    with chromium_page(monkeypatch=monkeypatch) as page:
        login(page, live_stack.url, LEAD, PASSWORD)
        page.get_by_role("navigation", name="Areas").get_by_role("link", name="Learning").click()
        page.get_by_role("heading", level=1, name="Learning loops").wait_for()
        page.get_by_role("table", name="Learning loops").get_by_role("link", name="Browser AL").click()
        page.get_by_role("heading", level=1, name="Learning loop: Browser AL").wait_for()
        assert page.url.endswith(f"/learning/loops/{loop_id}/")

        curve = page.get_by_role("img", name="Held-out head_macro_auroc against the number of reads")
        curve.wait_for()
        assert curve.evaluate("svg => svg.tagName") == "svg"
        assert curve.locator('[data-part="marked-point"]').count() == 1  # round 1's model was promoted
        rounds = page.get_by_role("table", name="Rounds of the loop")
        assert rounds.locator("tbody tr").count() == 1
        assert rounds.locator("tbody tr td").nth(1).inner_text() == "done"

        page.get_by_role("button", name="Start the next round").click()
        page.get_by_role("heading", name="Round 2: what it selected and why").wait_for(timeout=120_000)
        assert rounds.locator("tbody tr").count() == 2
        selection = page.get_by_role("table", name="Studies selected in round 2")
        cells = [row.locator("td").all_inner_texts() for row in selection.locator("tbody tr").all()]
        assert len(cells) == 2
        for _study, _image, score, rank in cells:
            assert float(score) >= 0 and rank.endswith(" of 4")  # scored by round 1's model among 4 unread
        histogram = page.get_by_role(
            "img", name="Scores of the unread pool in round 2, selected studies marked"
        )
        assert histogram.locator('[data-part="mark"]').count() == 2

        with page.expect_download() as csv_download:
            page.get_by_role("link", name="the rounds as CSV").click()
        assert csv_download.value.suggested_filename == f"learning-loop-{loop_id}-rounds.csv"
        csv_download.value.save_as(tmp_path / "rounds.csv")
        lines = (tmp_path / "rounds.csv").read_text().splitlines()
        assert lines[0].startswith("id,number,status,scoring,strategy") and len(lines) == 3

        with page.expect_download() as svg_download:
            page.get_by_role("button", name="the learning curve as SVG").click()
        assert svg_download.value.suggested_filename == f"learning-loop-{loop_id}-curve.svg"
        svg_download.value.save_as(tmp_path / "curve.svg")
        svg = (tmp_path / "curve.svg").read_text()
        assert svg.startswith("<?xml") and 'xmlns="http://www.w3.org/2000/svg"' in svg and "<circle" in svg

        with page.expect_download() as png_download:
            page.get_by_role("button", name="the score distribution as PNG").click()
        png_download.value.save_as(tmp_path / "scores.png")
        assert (tmp_path / "scores.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

        assert axe_violations(page) == []
        learning = page.get_by_role("navigation", name="Learning")
        learning.get_by_role("link", name="Models").click()
        versions = page.get_by_role("table", name="Model versions")
        versions.wait_for()
        assert "round-1" in versions.inner_text()  # the model round 1 trained
        assert "yes" in page.get_by_role("table", name="Evaluations").locator("tbody tr").first.inner_text()
        assert axe_violations(page) == []
        learning.get_by_role("link", name="Training runs").click()
        page.get_by_role("heading", level=1, name="Training runs").wait_for()
        assert axe_violations(page) == []
        errors = [m for m in page.console_messages if m.startswith(("error", "pageerror"))]
        assert not errors, (errors, page.refused_responses)
