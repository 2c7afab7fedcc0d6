"""Active-learning rounds through the platform with a simulated reader (tiny pool, tiny config, 2 steps)."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from readingroom.core.exceptions import Conflict, InvalidInput
from readingroom.learning.models import LearningLoop, LearningRound
from readingroom.learning.platform_run import phantoms_import, platform_simulation, simulated_read
from readingroom.learning.services import loop_check_plateau, loop_tick, round_finish, round_start
from readingroom.learning.simulation import SimulationSettings, phantom_pool
from readingroom.modeling.models import ModelChange, ModelEvaluation
from readingroom.modeling.registry import project_model_version
from readingroom.reading.models import Assignment, ReadingProject
from readingroom.studies.derivatives import display_raw_name, display_table_name

pytestmark = pytest.mark.django_db
TINY = SimulationSettings(pool=8, heldout=6, initial=2, per_round=2, rounds=3, steps=2)


@pytest.fixture
def pool():
    return phantom_pool(TINY)[0]


@pytest.fixture
def loop(pool, reader) -> LearningLoop:
    project = ReadingProject.objects.create(name="AL")
    loop = LearningLoop.objects.create(project=project, scoring="entropy", strategy="top_k", per_round=2,
                                       heldout_phantoms=6, train_steps=2, plateau_rounds=0)  # fmt: skip
    loop.pool.set(phantoms_import(pool))
    loop.readers.set([reader])
    return loop


def test_three_rounds_end_to_end_through_the_platform(pool):
    lines = platform_simulation(arm="entropy", settings=TINY, pool=pool, project_name="sim")
    assert len(lines) == 3
    project = ReadingProject.objects.get(name="sim")
    rounds = list(project.learning_loop.rounds.order_by("number"))
    assert [r.status for r in rounds] == ["done"] * 3, [r.error for r in rounds]
    assert [r.reads_at_end for r in rounds] == [2, 4, 6]
    assert Assignment.objects.filter(project=project).count() == 6
    assert rounds[0].model_before is None and all(s["score"] is None for s in rounds[0].selected)
    assert all(isinstance(s["score"], float) for s in rounds[1].selected)  # scored by round 1's model
    assert len(rounds[1].scores) == 6  # the whole unread pool
    evaluations = ModelEvaluation.objects.filter(project=project)
    assert evaluations.count() == 3 and evaluations.filter(promoted=True).exists()
    assert rounds[0].evaluation.promoted  # the first model of a project always wins
    assert project_model_version(project) == ModelChange.objects.filter(project=project).first().current


def test_a_round_started_while_the_previous_is_open_is_refused(loop):
    first = round_start(loop=loop)
    assert first.status == LearningRound.Status.READING and len(first.selected) == 2
    with pytest.raises(Conflict, match="round 1 of AL is still open"):
        round_start(loop=loop)
    with pytest.raises(Conflict, match="2 of 2 selected studies are unread"):
        round_finish(rnd=first)
    assert LearningRound.objects.count() == 1


def test_tick_finishes_a_round_once_its_reads_are_in(loop, pool, reader):
    rnd = round_start(loop=loop)
    assert loop_tick(loop=loop) is None  # still reading
    by_image = {img.pk: s for img, s in zip(loop.pool.order_by("pk"), pool, strict=True)}
    simulated_read(rnd=rnd, reader=reader, samples_by_image=by_image)
    rnd = loop_tick(loop=loop)
    assert rnd.status == LearningRound.Status.DONE and rnd.model_after is not None
    loop.retrain_every = 2
    loop.save()
    assert loop_tick(loop=loop) is None  # no new reads since the round


def test_a_read_image_gone_missing_fails_the_round_with_a_reason(loop, pool, reader, settings):
    rnd = round_start(loop=loop)
    by_image = {img.pk: s for img, s in zip(loop.pool.order_by("pk"), pool, strict=True)}
    simulated_read(rnd=rnd, reader=reader, samples_by_image=by_image)
    image = loop.pool.get(pk=rnd.selected[0]["image"])
    # the PNG is made when first read, from the display table (or, for older imports, the raw display)
    for name in (
        image.display_file,
        display_raw_name(image.display_file),
        display_table_name(image.display_file),
    ):
        (settings.MEDIA_ROOT / name).unlink(missing_ok=True)
    rnd = round_finish(rnd=rnd)
    assert rnd.status == LearningRound.Status.FAILED
    assert f"image {image.pk}: its display rendering is missing" in rnd.error
    assert round_start(loop=loop).number == 2  # a failed round is closed


def test_no_readers_or_an_exhausted_pool_is_refused(loop, reader):
    loop.readers.clear()
    with pytest.raises(InvalidInput, match="has no readers"):
        round_start(loop=loop)
    loop.pool.clear()
    loop.readers.set([reader])
    with pytest.raises(Conflict, match="no unread study left"):
        round_start(loop=loop)


def test_plateau_stops_the_loop(loop):
    loop.plateau_rounds, loop.plateau_delta = 2, 0.01
    loop.save()
    for number, value in enumerate([0.6, 0.7, 0.705, 0.702], start=1):
        LearningRound.objects.create(
            loop=loop, number=number, strategy="top_k", status="done", heldout_value=value
        )
    assert "plateaued" in loop_check_plateau(loop=loop)
    with pytest.raises(Conflict, match="has stopped"):
        round_start(loop=loop)


def test_the_command_runs_the_platform_rounds(tmp_path):
    call_command("simulate_active_learning", "--strategy", "random", "--seeds", "1", "--rounds", "1", "--pool", "6",
                 "--heldout", "6", "--initial", "2", "--per-round", "2", "--steps", "2", "--platform",
                 "--out", str(tmp_path))  # fmt: skip
    assert LearningRound.objects.get().status == "done"


def test_mc_disagreement_scores_with_the_earlier_models_of_the_loop(loop, pool, reader):
    by_image = {img.pk: s for img, s in zip(loop.pool.order_by("pk"), pool, strict=True)}
    loop.scoring = "mc_disagreement"
    loop.save()
    for _ in range(2):
        rnd = round_start(loop=loop)
        simulated_read(rnd=rnd, reader=reader, samples_by_image=by_image)
        assert round_finish(rnd=rnd).status == LearningRound.Status.DONE
    third = round_start(loop=loop)  # round 1 had no model; round 2's model disagrees with round 1's
    assert third.model_before is not None
    assert all(isinstance(s["score"], float) and s["score"] >= 0 for s in third.selected)


def test_a_round_retrains_from_the_model_it_started_with(loop, pool, reader, monkeypatch):
    import cogaze.train
    from readingroom.modeling.registry import model_version_verify

    starts, real_train = [], cogaze.train.train

    def recording_train(*args, **kwargs):
        starts.append(kwargs.get("init_from"))
        return real_train(*args, **kwargs)

    monkeypatch.setattr(cogaze.train, "train", recording_train)
    by_image = {img.pk: s for img, s in zip(loop.pool.order_by("pk"), pool, strict=True)}
    rounds = []
    for _ in range(2):
        rnd = round_start(loop=loop)
        simulated_read(rnd=rnd, reader=reader, samples_by_image=by_image)
        rounds.append(round_finish(rnd=rnd))
    assert [r.status for r in rounds] == [LearningRound.Status.DONE] * 2
    first, second = rounds
    assert first.model_before is None and starts[0] is None  # no model yet: from scratch
    assert second.model_before == first.model_after  # round 1's model won (the project had none)
    assert starts[1] == model_version_verify(model_version=second.model_before)
