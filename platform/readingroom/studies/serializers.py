"""Input and output shapes of the import API."""

from __future__ import annotations

from rest_framework import serializers

from readingroom.studies.models import ImportJob


class ImportJobInput(serializers.Serializer):
    sources = serializers.ListField(child=serializers.CharField(), min_length=1,
                                    help_text="server paths of files, folders, zip archives or CSVs")  # fmt: skip
    indication = serializers.CharField(required=False, allow_blank=True, default="")
    history = serializers.CharField(required=False, allow_blank=True, default="")
    layout = serializers.ChoiceField(choices=["", "mimic-cxr-jpg", "iu-xray"], required=False, default="",
                                     help_text="read each source as a folder in this data set layout")  # fmt: skip


class ImportJobOutput(serializers.ModelSerializer):
    progress = serializers.FloatField(help_text="fraction of items finished, 0 to 1")
    done = serializers.IntegerField()

    class Meta:
        model = ImportJob
        fields = ["id", "status", "sources", "options", "total", "done", "imported", "skipped", "failed",
                  "progress", "errors", "warnings", "message", "created_at", "started_at", "finished_at"]  # fmt: skip
