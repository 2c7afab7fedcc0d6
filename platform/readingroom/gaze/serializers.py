"""Input and output shapes of the tracker-quality API."""

from __future__ import annotations

from rest_framework import serializers

from readingroom.gaze.models import TrackerCheck
from readingroom.gaze.quality import TRACKING_STATES


class TargetInput(serializers.Serializer):
    x = serializers.FloatField(help_text="screen px, the gaze samples' coordinates")
    y = serializers.FloatField()
    t_on_ms = serializers.FloatField(help_text="when the target appeared, on the samples' clock")
    t_off_ms = serializers.FloatField()


class SamplesInput(serializers.Serializer):
    t = serializers.ListField(child=serializers.FloatField())
    x = serializers.ListField(child=serializers.FloatField(allow_null=True))
    y = serializers.ListField(child=serializers.FloatField(allow_null=True))
    valid = serializers.ListField(child=serializers.BooleanField(), required=False)


class TrackerCheckInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=[TrackerCheck.Kind.CALIBRATION, TrackerCheck.Kind.VALIDATION])
    device = serializers.CharField(required=False, default="", allow_blank=True, max_length=64)
    stream = serializers.CharField(
        required=False, default="", allow_blank=True, max_length=64,
        help_text="the sender stream whose clock the target times are on",
    )  # fmt: skip
    targets = TargetInput(many=True)
    samples = SamplesInput(
        required=False,
        help_text="the samples recorded while the targets were shown (same clock as the targets); omit them when "
        "the tracker streams through the bridge: the session's stored gaze is used, with the target times on "
        "`stream`'s clock",
    )


class DriftCheckInput(serializers.Serializer):
    device = serializers.CharField(required=False, default="", allow_blank=True, max_length=64)
    stream = serializers.CharField(required=False, default="", allow_blank=True, max_length=64)
    target = TargetInput()
    samples = SamplesInput(required=False, help_text="as for a validation")


class TargetQualityOutput(serializers.Serializer):
    x = serializers.FloatField()
    y = serializers.FloatField()
    n_samples = serializers.IntegerField()
    accuracy_deg = serializers.FloatField(allow_null=True)
    precision_rms_deg = serializers.FloatField(allow_null=True, required=False)
    precision_sd_deg = serializers.FloatField(allow_null=True, required=False)
    data_loss_pct = serializers.FloatField(required=False)


class TrackerCheckOutput(serializers.ModelSerializer):
    targets = TargetQualityOutput(many=True)
    limits = serializers.DictField(child=serializers.FloatField())
    offset_px = serializers.ListField(child=serializers.FloatField(allow_null=True), allow_null=True)

    class Meta:
        model = TrackerCheck
        fields = ["id", "session_id", "kind", "device", "stream", "targets", "accuracy_deg", "max_accuracy_deg",
                  "precision_rms_deg", "precision_sd_deg", "data_loss_pct", "offset_px", "sample_count", "passed",
                  "limits", "created_at"]  # fmt: skip


class TrackingStatusOutput(serializers.Serializer):
    state = serializers.ChoiceField(choices=TRACKING_STATES)
    reason = serializers.CharField()
    limits = serializers.DictField(child=serializers.FloatField())
    validation = TrackerCheckOutput(allow_null=True, help_text="the reader's latest validation")
    drift_check = TrackerCheckOutput(allow_null=True, help_text="this session's latest drift check after it")
    checks = TrackerCheckOutput(many=True, help_text="every check of this session")
