from django.apps import AppConfig


class ModelingConfig(AppConfig):
    name = "readingroom.modeling"
    label = "modeling"
