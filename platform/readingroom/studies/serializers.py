"""Input and output shapes of the import API.

The API never shows the names of the files a job read (a radiograph's file or folder is often named after
the patient): every path, item key and file name in a job's sources, errors, warnings and message is
replaced by a stable pseudonym (``file-`` and 12 hex digits of an HMAC with the installation's salt). The
job in the database, and the command line's report, keep the names for the operator of the server.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from pathlib import PurePath

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from readingroom.studies.models import ImportJob

# An absolute path (POSIX or Windows) up to a separator that messages put after it.
_PATH = re.compile(r"(?:[A-Za-z]:)?[/\\][^\s:!'\"()]+")


def file_pseudonym(name: str) -> str:
    """A stable pseudonym of a file name or path, keyed by the installation's salt."""
    digest = hmac.new(settings.PATIENT_KEY_SALT.encode(), name.encode(), hashlib.sha256).hexdigest()
    return f"file-{digest[:12]}"


def _names(key: str) -> set[str]:
    """The key of an item (``path``, ``archive!member``, ``file.csv:line``), its parts and their base names."""
    parts = {key, *key.split("!"), key.rsplit(":", 1)[0]}
    return {n for p in parts for n in (p, PurePath(p).name) if n.strip()}


def redact_file_names(text: str, *, key: str = "") -> str:
    """``text`` with the item's names and any other absolute path replaced by pseudonyms."""
    for name in sorted(_names(key) if key else (), key=len, reverse=True):
        text = text.replace(name, file_pseudonym(name))
    return _PATH.sub(lambda match: file_pseudonym(match.group()), text)


class ImportJobInput(serializers.Serializer):
    sources = serializers.ListField(child=serializers.CharField(), min_length=1,
                                    help_text="server paths of files, folders, zip archives or CSVs")  # fmt: skip
    indication = serializers.CharField(required=False, allow_blank=True, default="")
    history = serializers.CharField(required=False, allow_blank=True, default="")
    layout = serializers.ChoiceField(choices=["", "mimic-cxr-jpg", "iu-xray"], required=False, default="",
                                     help_text="read each source as a folder in this data set layout")  # fmt: skip


class ImportItemError(serializers.Serializer):
    item = serializers.CharField(help_text="the file's pseudonym")
    error = serializers.CharField()


class ImportItemWarning(serializers.Serializer):
    item = serializers.CharField(help_text="the file's pseudonym")
    warning = serializers.CharField()


class ImportJobOutput(serializers.ModelSerializer):
    """An import job with every file name replaced by its pseudonym (see the module's docstring)."""

    progress = serializers.FloatField(help_text="fraction of items finished, 0 to 1")
    done = serializers.IntegerField()
    sources = serializers.SerializerMethodField()
    options = serializers.SerializerMethodField()
    errors = serializers.SerializerMethodField()
    warnings = serializers.SerializerMethodField()
    message = serializers.SerializerMethodField()

    def get_sources(self, job: ImportJob) -> list[str]:
        return [file_pseudonym(str(source)) for source in job.sources]

    def get_options(self, job: ImportJob) -> dict[str, str]:
        return {k: v for k, v in job.options.items() if k in {"indication", "history", "layout"}}

    @extend_schema_field(ImportItemError(many=True))
    def get_errors(self, job: ImportJob) -> list[dict[str, str]]:
        return [
            {"item": file_pseudonym(e["item"]), "error": redact_file_names(e["error"], key=e["item"])}
            for e in job.errors
        ]

    @extend_schema_field(ImportItemWarning(many=True))
    def get_warnings(self, job: ImportJob) -> list[dict[str, str]]:
        return [
            {"item": file_pseudonym(w["item"]), "warning": redact_file_names(w["warning"], key=w["item"])}
            for w in job.warnings
        ]

    def get_message(self, job: ImportJob) -> str:
        return redact_file_names(job.message)

    class Meta:
        model = ImportJob
        fields = ["id", "status", "sources", "options", "total", "done", "imported", "skipped", "failed",
                  "progress", "errors", "warnings", "message", "created_at", "started_at", "finished_at"]  # fmt: skip
