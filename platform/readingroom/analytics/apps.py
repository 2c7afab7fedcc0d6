from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "readingroom.analytics"
    label = "analytics"
    verbose_name = "Reader-study analytics"
