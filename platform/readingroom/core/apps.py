from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "readingroom.core"
    label = "core"
    verbose_name = "Users and audit"

    def ready(self) -> None:
        # Registers the OpenAPI security schemes (session cookie + CSRF header) with drf-spectacular.
        from readingroom.core import schema  # noqa: F401
