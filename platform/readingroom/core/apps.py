from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "readingroom.core"
    label = "core"
    verbose_name = "Users and audit"
