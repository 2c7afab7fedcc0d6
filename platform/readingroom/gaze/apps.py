from django.apps import AppConfig
from django.core import checks


class GazeConfig(AppConfig):
    name = "readingroom.gaze"
    label = "gaze"

    def ready(self) -> None:
        checks.register(check_detector, checks.Tags.compatibility)


def check_detector(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """GAZE_FIXATION_DETECTOR must name a detector that gaze_capture has."""
    from django.conf import settings

    import gaze_capture

    name = settings.GAZE_FIXATION_DETECTOR
    if name not in gaze_capture.detector_names():
        return [
            checks.Error(
                f"GAZE_FIXATION_DETECTOR={name!r} is not a gaze_capture detector",
                hint=f"use one of {', '.join(sorted(gaze_capture.detector_names()))}",
                id="readingroom.gaze.E001",
            )
        ]
    return []
