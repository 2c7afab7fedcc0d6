"""Input and output shapes of the curation API."""

from __future__ import annotations

from rest_framework import serializers

from readingroom.core.exceptions import InvalidInput
from readingroom.curation.models import Cohort, Dataset, DatasetVersion, LabelEdit
from readingroom.curation.selectors import cohort_filters_clean

# A dataset version's seed is stored as a signed 64-bit integer.
SEED_RANGE = (-(2**63), 2**63 - 1)


class CohortInput(serializers.Serializer):
    name = serializers.CharField(max_length=128)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    filters = serializers.JSONField(required=False, default=dict, help_text="see the cohort filter keys")

    def validate_filters(self, value: object) -> dict:
        if not isinstance(value, dict):
            raise serializers.ValidationError("must be an object mapping filter keys to their values")
        try:
            return cohort_filters_clean(value)
        except InvalidInput as exc:
            raise serializers.ValidationError(str(exc)) from exc


class CohortOutput(serializers.ModelSerializer):
    class Meta:
        model = Cohort
        fields = ["id", "name", "description", "filters", "created_at"]


class CohortImagesOutput(serializers.Serializer):
    count = serializers.IntegerField()
    image_ids = serializers.ListField(child=serializers.IntegerField())


class DatasetInput(serializers.Serializer):
    name = serializers.CharField(max_length=128)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    cohort = serializers.IntegerField(required=False, allow_null=True, default=None)


class DatasetVersionSummary(serializers.ModelSerializer):
    tag = serializers.CharField()

    class Meta:
        model = DatasetVersion
        fields = [
            "id",
            "number",
            "tag",
            "seed",
            "split_fractions",
            "item_count",
            "manifest_sha256",
            "frozen_at",
        ]


class DatasetOutput(serializers.ModelSerializer):
    versions = DatasetVersionSummary(many=True, read_only=True)

    class Meta:
        model = Dataset
        fields = ["id", "name", "description", "cohort", "created_at", "versions"]


class FreezeInput(serializers.Serializer):
    seed = serializers.IntegerField(
        required=False, default=0, min_value=SEED_RANGE[0], max_value=SEED_RANGE[1]
    )
    split_fractions = serializers.DictField(child=serializers.FloatField(), required=False, default=None)
    notes = serializers.CharField(required=False, allow_blank=True, default="")


class DatasetVersionOutput(DatasetVersionSummary):
    class Meta(DatasetVersionSummary.Meta):
        fields = [*DatasetVersionSummary.Meta.fields, "dataset", "filters", "notes", "manifest"]


class ExportInput(serializers.Serializer):
    format = serializers.ChoiceField(choices=["cogaze", "native", "reflacx", "bids", "sr"])


class ExportOutput(serializers.Serializer):
    status = serializers.CharField()
    folder = serializers.CharField()


class LabelsInput(serializers.Serializer):
    labels = serializers.DictField(child=serializers.CharField(), help_text="observation -> state")
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class LabelEditOutput(serializers.ModelSerializer):
    edited_by = serializers.CharField(source="edited_by.username", default=None)

    class Meta:
        model = LabelEdit
        fields = [
            "id",
            "observation",
            "old_value",
            "new_value",
            "source",
            "edited_by",
            "reason",
            "created_at",
        ]


class StudyLabelsOutput(serializers.Serializer):
    study = serializers.IntegerField()
    labels = serializers.DictField(child=serializers.CharField())
    history = LabelEditOutput(many=True)


class StudyReportInput(serializers.Serializer):
    text = serializers.CharField(help_text="free-text report; INDICATION/HISTORY/FINDINGS/IMPRESSION headers")
