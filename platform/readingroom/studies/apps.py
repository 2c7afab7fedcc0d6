from django.apps import AppConfig


class StudiesConfig(AppConfig):
    name = "readingroom.studies"
    label = "studies"
