"""Input and output shapes of the reading API."""

from __future__ import annotations

from rest_framework import serializers

from readingroom.reading.models import Assignment
from readingroom.studies.models import Study


class StudyOutput(serializers.ModelSerializer):
    title = serializers.CharField()
    image_ids = serializers.SerializerMethodField()

    class Meta:
        model = Study
        fields = ["id", "title", "indication", "history", "image_ids"]

    def get_image_ids(self, study: Study) -> list[int]:
        return [image.pk for image in study.images.all()]


class AssignmentOutput(serializers.ModelSerializer):
    study = StudyOutput()
    project = serializers.CharField(source="project.name")

    class Meta:
        model = Assignment
        fields = ["id", "study", "status", "project", "order"]


class ScreenInput(serializers.Serializer):
    width_px = serializers.IntegerField(min_value=1)
    height_px = serializers.IntegerField(min_value=1)
    width_mm = serializers.FloatField(min_value=1)
    height_mm = serializers.FloatField(min_value=1)
    distance_mm = serializers.FloatField(min_value=1)


class SessionStartInput(serializers.Serializer):
    screen = ScreenInput(required=False)


class SessionStartOutput(serializers.Serializer):
    session_id = serializers.IntegerField()
    ws_path = serializers.CharField()
    capture_token = serializers.CharField()
    study = StudyOutput()


class ReportInput(serializers.Serializer):
    findings = serializers.CharField(allow_blank=True, max_length=20000)
    impression = serializers.CharField(allow_blank=True, required=False, default="", max_length=20000)
    labels = serializers.DictField(child=serializers.CharField())


class ReportOutput(serializers.Serializer):
    id = serializers.IntegerField()


class HeatmapOutput(serializers.Serializer):
    url = serializers.CharField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()


class AgreementOutput(serializers.Serializer):
    compared = serializers.IntegerField()
    agree = serializers.IntegerField()
    disagreements = serializers.ListField(child=serializers.CharField())


class PredictionOutput(serializers.Serializer):
    status = serializers.CharField()
    message = serializers.CharField()
    probabilities = serializers.DictField(child=serializers.FloatField(), allow_null=True)
    findings = serializers.CharField(allow_null=True)
    attention_url = serializers.CharField(allow_null=True)
    agreement = AgreementOutput(allow_null=True, required=False)


class ResultsOutput(serializers.Serializer):
    status = serializers.CharField()
    error = serializers.CharField(allow_null=True)
    fixation_count = serializers.IntegerField(allow_null=True)
    sample_count = serializers.IntegerField(allow_null=True)
    heatmap = HeatmapOutput(allow_null=True)
    prediction = PredictionOutput()
