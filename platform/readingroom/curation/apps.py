from django.apps import AppConfig


class CurationConfig(AppConfig):
    name = "readingroom.curation"
    label = "curation"

    def ready(self) -> None:
        from readingroom.curation.hooks import imported_attach_report
        from readingroom.studies.layouts import IMPORTED_HOOKS

        if imported_attach_report not in IMPORTED_HOOKS:
            IMPORTED_HOOKS.append(imported_attach_report)
