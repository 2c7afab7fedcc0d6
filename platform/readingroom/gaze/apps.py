from django.apps import AppConfig


class GazeConfig(AppConfig):
    name = "readingroom.gaze"
    label = "gaze"
