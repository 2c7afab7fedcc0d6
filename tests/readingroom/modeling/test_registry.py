"""The registry per reading project: verified checkpoints, promotion through a held-out evaluation (now, or
queued for a worker), rollback, one winner when promotions race, and evaluations a lost worker left."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from readingroom.core.exceptions import Conflict, InvalidInput, NotFound
from readingroom.core.models import OutboxMessage
from readingroom.modeling.models import ModelChange, ModelEvaluation, ModelVersion, ProjectModel
from readingroom.modeling.registry import (
    HeldOut,
    evaluation_execute,
    evaluation_promote,
    evaluation_queue,
    evaluation_run,
    evaluations_recover,
    heldout_metrics,
    model_version_promote,
    model_version_verify,
    project_model_version,
    project_rollback,
)
from readingroom.modeling.services import model_version_register
from readingroom.reading.models import ReadingProject

HELDOUT = HeldOut(phantoms=12, seed=5)


@pytest.fixture
def project(db) -> ReadingProject:
    return ReadingProject.objects.create(name="AL project")


@pytest.fixture
def versions(db, tiny_checkpoints) -> tuple[ModelVersion, ModelVersion]:
    """(better, worse) on HELDOUT, learned by evaluating both."""
    a = model_version_register(checkpoint=tiny_checkpoints["trained"], name="m", version="a", activate=False)
    b = model_version_register(checkpoint=tiny_checkpoints["flipped"], name="m", version="b", activate=False)
    va = heldout_metrics(model_version=a, heldout=HELDOUT)["head_macro_auroc"]
    vb = heldout_metrics(model_version=b, heldout=HELDOUT)["head_macro_auroc"]
    assert va != pytest.approx(vb)
    return (a, b) if va > vb else (b, a)


def test_registration_records_hash_and_config(tiny_checkpoints, db):
    version = model_version_register(checkpoint=tiny_checkpoints["trained"], name="m", version="1")
    assert len(version.checkpoint_sha256) == 64
    assert version.config["name"] == "tiny" and version.config["vision"]["image_size"] == 64
    assert model_version_verify(model_version=version).is_file()


def test_a_changed_checkpoint_is_refused(tiny_checkpoints, settings, db):
    version = model_version_register(checkpoint=tiny_checkpoints["trained"], name="m", version="1")
    path = settings.MEDIA_ROOT / version.checkpoint
    path.write_bytes(tiny_checkpoints["flipped"].read_bytes())
    with pytest.raises(InvalidInput, match="checkpoint SHA-256 .* does not match the registered"):
        model_version_verify(model_version=version)


def test_a_checkpoint_whose_config_differs_is_refused(tiny_checkpoints, db):
    version = model_version_register(checkpoint=tiny_checkpoints["trained"], name="m", version="1")
    version.config = {**version.config, "dim": 32}
    version.save()
    with pytest.raises(InvalidInput, match="does not match its registered configuration.*dim"):
        model_version_verify(model_version=version)


def test_projects_without_a_current_version_use_the_global_active_one(project, tiny_checkpoints):
    active = model_version_register(checkpoint=tiny_checkpoints["trained"], name="m", version="1")
    assert project_model_version(project) == active
    assert project_model_version(None) == active


def test_first_promotion_then_a_better_one_then_rollback(project, versions):
    better, worse = versions
    first = model_version_promote(project=project, candidate=worse, heldout=HELDOUT)
    assert first.promoted and first.baseline is None and first.candidate_value is not None
    assert project_model_version(project) == worse
    second = model_version_promote(project=project, candidate=better, heldout=HELDOUT, margin=0.0)
    assert second.promoted and second.baseline == worse
    assert second.candidate_value > second.baseline_value
    assert project_model_version(project) == better
    change = project_rollback(project=project)
    assert change.kind == ModelChange.Kind.ROLLBACK and change.current == worse
    assert project_model_version(project) == worse
    with pytest.raises(Conflict, match="no previous version"):
        project_rollback(project=project)


def test_a_worse_candidate_is_stored_with_both_numbers_and_not_promoted(project, versions):
    better, worse = versions
    model_version_promote(project=project, candidate=better, heldout=HELDOUT)
    evaluation = model_version_promote(project=project, candidate=worse, heldout=HELDOUT)
    assert not evaluation.promoted and not evaluation.beats
    assert evaluation.candidate_value < evaluation.baseline_value
    assert "does not beat" in evaluation.reason
    assert project_model_version(project) == better
    with pytest.raises(Conflict, match="did not win"):
        evaluation_promote(evaluation=evaluation)


def test_margin_is_required(project, versions):
    better, worse = versions
    model_version_promote(project=project, candidate=worse, heldout=HELDOUT)
    evaluation = model_version_promote(project=project, candidate=better, heldout=HELDOUT, margin=1.0)
    assert not evaluation.promoted and evaluation.margin == 1.0
    assert ModelEvaluation.objects.filter(project=project).count() == 2


def test_bad_metric_margin_or_heldout_is_refused(project, versions):
    with pytest.raises(InvalidInput, match="metric must be one of"):
        evaluation_run(project=project, candidate=versions[0], heldout=HELDOUT, metric="accuracy")
    with pytest.raises(InvalidInput, match="margin must be"):
        evaluation_run(project=project, candidate=versions[0], heldout=HELDOUT, margin=-0.1)
    with pytest.raises(InvalidInput, match="either a frozen dataset version or a number of phantoms"):
        HeldOut()
    assert not ModelEvaluation.objects.exists()


def test_rollback_without_a_current_version_is_refused(project):
    with pytest.raises(Conflict, match="no current model version"):
        project_rollback(project=project)


def test_sequential_race_second_evaluation_is_stale(project, versions):
    """Two candidates evaluated against the same current version: the second promotion is refused."""
    better, worse = versions
    e1 = evaluation_run(project=project, candidate=better, heldout=HELDOUT)
    e2 = evaluation_run(project=project, candidate=worse, heldout=HELDOUT)
    evaluation_promote(evaluation=e1)
    with pytest.raises(Conflict, match="changed since evaluation"):
        evaluation_promote(evaluation=e2)
    with pytest.raises(Conflict, match="already promoted"):
        evaluation_promote(evaluation=e1)
    assert ProjectModel.objects.get(project=project).current == better
    assert ModelChange.objects.filter(project=project).count() == 1


def test_a_queued_evaluation_runs_once_and_promotes(project, versions, django_capture_on_commit_callbacks):
    better, worse = versions
    model_version_promote(project=project, candidate=worse, heldout=HELDOUT)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        queued = evaluation_queue(project=project, candidate=better, heldout=HELDOUT, margin=0.0)
    assert len(callbacks) == 1 and OutboxMessage.objects.get().args == [queued.pk]
    assert queued.status == "queued" and queued.baseline is None and queued.candidate_value is None
    with pytest.raises(Conflict, match="is queued, not done"):
        evaluation_promote(evaluation=queued)
    done = evaluation_execute(evaluation_id=queued.pk)
    assert done.status == "done" and done.promoted and done.baseline == worse
    assert done.candidate_value > done.baseline_value and project_model_version(project) == better
    # A redelivered task of a done evaluation changes nothing (no second evaluation, no second promotion).
    ModelEvaluation.objects.filter(pk=done.pk).update(reason="kept")
    again = evaluation_execute(evaluation_id=done.pk)
    assert again.status == "done" and again.reason == "kept"
    assert ModelChange.objects.filter(project=project).count() == 2
    assert evaluation_execute(evaluation_id=999999) is None  # deleted meanwhile: nothing to do


def test_queueing_checks_the_input_at_once(project, versions):
    with pytest.raises(InvalidInput, match="metric must be one of"):
        evaluation_queue(project=project, candidate=versions[0], heldout=HELDOUT, metric="accuracy")
    model_version_promote(project=project, candidate=versions[0], heldout=HELDOUT)
    with pytest.raises(InvalidInput, match="already the current version"):
        evaluation_queue(project=project, candidate=versions[0], heldout=HELDOUT)
    assert ModelEvaluation.objects.filter(status="queued").count() == 0 and not OutboxMessage.objects.exists()


def test_the_baseline_is_the_current_version_when_the_worker_runs(project, versions):
    """Two promotions queued one after the other: the second is compared with the first's winner."""
    better, worse = versions
    first = evaluation_queue(project=project, candidate=better, heldout=HELDOUT)
    second = evaluation_queue(project=project, candidate=worse, heldout=HELDOUT)
    assert evaluation_execute(evaluation_id=first.pk).promoted
    second = evaluation_execute(evaluation_id=second.pk)
    assert second.status == "done" and second.baseline == better and not second.beats and not second.promoted
    assert project_model_version(project) == better


def test_an_evaluation_that_cannot_run_fails_with_the_reason(project, versions, settings):
    queued = evaluation_queue(project=project, candidate=versions[0], heldout=HELDOUT)
    (settings.MEDIA_ROOT / versions[0].checkpoint).unlink()
    failed = evaluation_execute(evaluation_id=queued.pk)
    assert failed.status == "failed" and "checkpoint" in failed.error and "missing" in failed.error
    assert (
        not failed.promoted
        and ProjectModel.objects.filter(project=project, current__isnull=False).count() == 0
    )


def test_held_out_specifications_round_trip(image):
    from readingroom.curation.services import dataset_create, dataset_version_freeze

    version = dataset_version_freeze(dataset=dataset_create(name="held"), seed=0)
    for heldout in (HELDOUT, HeldOut(version=version, split=None), HeldOut(version=version, split="test")):
        assert HeldOut.from_spec(heldout.spec) == heldout
    with pytest.raises(InvalidInput, match="not a stored held-out specification"):
        HeldOut.from_spec("cohort:3")
    with pytest.raises(NotFound, match=f"dataset version {version.pk + 1} no longer exists"):
        HeldOut.from_spec(f"dataset-version:{version.pk + 1}:test")


def _lose_worker(evaluation: ModelEvaluation, *, seconds: float) -> None:
    """As a worker killed mid-evaluation leaves it: running, its message delivered, nothing since."""
    OutboxMessage.objects.update(sent_at=timezone.now())
    ModelEvaluation.objects.filter(pk=evaluation.pk).update(
        status="running", updated_at=timezone.now() - timedelta(seconds=seconds)
    )


def test_an_evaluation_whose_worker_died_is_queued_again_then_done(project, versions):
    queued = evaluation_queue(project=project, candidate=versions[0], heldout=HELDOUT)
    _lose_worker(queued, seconds=60)
    assert evaluations_recover(stuck_after_s=600, max_attempts=3) == (0, 0)  # may still be running
    _lose_worker(queued, seconds=700)
    assert evaluations_recover(stuck_after_s=600, max_attempts=3) == (1, 0)
    assert ModelEvaluation.objects.get(pk=queued.pk).status == "queued"
    assert OutboxMessage.objects.filter(sent_at__isnull=True).count() == 1  # the task, enqueued again
    assert evaluations_recover(stuck_after_s=600, max_attempts=3) == (0, 0)  # once only
    done = evaluation_execute(evaluation_id=queued.pk)
    assert done.status == "done" and done.promoted


def test_an_evaluation_lost_too_often_fails_with_the_reason(project, versions):
    queued = evaluation_queue(project=project, candidate=versions[0], heldout=HELDOUT)
    for _ in range(2):
        _lose_worker(queued, seconds=700)
        evaluations_recover(stuck_after_s=600, max_attempts=3)
    _lose_worker(queued, seconds=700)
    assert evaluations_recover(stuck_after_s=600, max_attempts=3) == (0, 1)
    failed = ModelEvaluation.objects.get(pk=queued.pk)
    assert failed.status == "failed" and "enqueued 3 times and never finished" in failed.error
    assert evaluation_execute(evaluation_id=queued.pk).status == "failed"  # a late redelivery: nothing


def test_a_finished_evaluation_the_reaper_took_back_is_not_promoted_twice(project, versions, monkeypatch):
    """The worker was slow, not dead: the reaper queued it again while it ran; the late result is dropped."""
    from readingroom.modeling import registry

    queued = evaluation_queue(project=project, candidate=versions[0], heldout=HELDOUT)
    compare = registry._compare

    def slow(**kwargs):
        result = compare(**kwargs)
        ModelEvaluation.objects.filter(pk=queued.pk).update(status="queued")  # the reaper, meanwhile
        return result

    monkeypatch.setattr(registry, "_compare", slow)
    late = evaluation_execute(evaluation_id=queued.pk)
    assert late.status == "queued" and not late.promoted and not ModelChange.objects.exists()
    monkeypatch.setattr(registry, "_compare", compare)
    assert evaluation_execute(evaluation_id=queued.pk).promoted


def _in_threads(target, items) -> list[str]:
    """Run ``target(item)`` in one thread per item, started together (each with its own connection)."""
    barrier = threading.Barrier(len(items))
    outcomes: list[str] = []

    def run(item) -> None:
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            outcomes.append(target(item))
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=run, args=(item,)) for item in items]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_two_queued_promotions_run_by_two_workers_leave_one_winner(tiny_checkpoints, monkeypatch):
    """Two workers run two queued promotions of one project at once (PostgreSQL; skipped on SQLite)."""
    if connection.vendor != "postgresql":
        pytest.skip("concurrent transactions need PostgreSQL (SQLite serialises writers)")
    # the two threads are the workers: nothing is published (a live worker of another test would take them)
    monkeypatch.setattr("readingroom.core.outbox.outbox_send", lambda **kwargs: 0)
    project = ReadingProject.objects.create(name="race-queued")
    a = model_version_register(checkpoint=tiny_checkpoints["trained"], name="m", version="qa", activate=False)
    b = model_version_register(checkpoint=tiny_checkpoints["flipped"], name="m", version="qb", activate=False)
    queued = [evaluation_queue(project=project, candidate=v, heldout=HELDOUT) for v in (a, b)]
    # both read the same current version (none) before either promotes: claim and compare first
    outcomes = _in_threads(lambda e: "won" if evaluation_execute(evaluation_id=e.pk).promoted else "refused",
                           queued)  # fmt: skip
    assert sorted(outcomes) == ["refused", "won"]
    assert ModelChange.objects.filter(project=project).count() == 1
    evaluations = ModelEvaluation.objects.filter(project=project)
    assert {e.status for e in evaluations} == {"done"} and evaluations.filter(promoted=True).count() == 1
    loser = evaluations.get(promoted=False)
    assert loser.baseline is None or "not promoted" in loser.reason


@pytest.mark.django_db(transaction=True)
def test_two_promotions_racing_leave_one_winner(tiny_checkpoints):
    """Two threads, each with its own database connection, promote at once (PostgreSQL; skipped on SQLite)."""
    if connection.vendor != "postgresql":
        pytest.skip("concurrent transactions need PostgreSQL (SQLite serialises writers)")
    project = ReadingProject.objects.create(name="race")
    a = model_version_register(checkpoint=tiny_checkpoints["trained"], name="m", version="a", activate=False)
    b = model_version_register(checkpoint=tiny_checkpoints["flipped"], name="m", version="b", activate=False)
    evaluations = [evaluation_run(project=project, candidate=v, heldout=HELDOUT) for v in (a, b)]

    def promote(evaluation: ModelEvaluation) -> str:
        try:
            evaluation_promote(evaluation=evaluation)
        except Conflict:
            return "refused"
        return "won"

    assert sorted(_in_threads(promote, evaluations)) == ["refused", "won"]
    assert ModelChange.objects.filter(project=project).count() == 1
    assert ModelEvaluation.objects.filter(project=project, promoted=True).count() == 1
