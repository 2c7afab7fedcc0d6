from django.apps import AppConfig


class ReadingConfig(AppConfig):
    name = "readingroom.reading"
    label = "reading"
