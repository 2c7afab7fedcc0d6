"""Output of the analytics endpoint: the study's result tables (rows of named values)."""

from __future__ import annotations

from rest_framework import serializers

_ROWS = serializers.ListField(child=serializers.DictField())


class AnalyticsOutput(serializers.Serializer):
    study_id = serializers.IntegerField()
    name = serializers.CharField()
    reads = serializers.IntegerField(help_text="submitted reads analysed")
    fixations = serializers.IntegerField()
    region_sources = serializers.ListField(child=serializers.CharField(),
                                           help_text="where the finding regions came from (labels, model_attention)")  # fmt: skip
    figures = serializers.DictField(child=serializers.CharField(), help_text="figure name -> PNG URL")
    archive_url = serializers.CharField()
    kappa = serializers.ListField(child=serializers.DictField())
    fleiss = serializers.ListField(child=serializers.DictField())
    accuracy = serializers.ListField(child=serializers.DictField())
    mrmc = serializers.ListField(child=serializers.DictField())
    arm_comparison = serializers.ListField(child=serializers.DictField())
    by_reader = serializers.ListField(child=serializers.DictField())
    by_arm = serializers.ListField(child=serializers.DictField())
    by_case = serializers.ListField(child=serializers.DictField())
