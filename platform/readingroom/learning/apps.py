from django.apps import AppConfig


class LearningConfig(AppConfig):
    name = "readingroom.learning"
    label = "learning"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from readingroom.reading.models import Report

        post_save.connect(_report_saved, sender=Report, dispatch_uid="learning-report-saved")


def _report_saved(sender, instance, created: bool, **kwargs) -> None:
    """A new read ticks the project's learning loop (if it has one) once the transaction commits."""
    from django.db import transaction

    from readingroom.learning.models import LearningLoop

    if not created:
        return
    loop_id = (
        LearningLoop.objects.filter(project_id=instance.session.assignment.project_id)
        .values_list("pk", flat=True)
        .first()
    )
    if loop_id is not None:
        from readingroom.learning.tasks import tick

        transaction.on_commit(lambda: tick.delay(loop_id))
