"""Input and output shapes of the reading API."""

from __future__ import annotations

from datetime import datetime

from rest_framework import serializers

from readingroom.gaze.quality import TRACKING_STATES
from readingroom.reading.models import LABEL_VALUES, Assignment, ReadingSession, ReportVersion, StudyArm
from readingroom.studies.models import Study


class StudyOutput(serializers.ModelSerializer):
    title = serializers.CharField()
    image_ids = serializers.SerializerMethodField()

    class Meta:
        model = Study
        fields = ["id", "title", "indication", "history", "image_ids"]

    def get_image_ids(self, study: Study) -> list[int]:
        return [image.pk for image in study.images.all()]


class ArmOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    mode = serializers.ChoiceField(choices=StudyArm.Mode.choices)
    position = serializers.IntegerField(help_text="the arm's place in the study (0 first)")


class AssignmentOutput(serializers.ModelSerializer):
    """A case on the worklist. ``available`` is false while an earlier arm is unfinished or its washout
    runs (``available_from`` then says when, if known, and ``blocked_reason`` why)."""

    study = StudyOutput()
    project = serializers.CharField(source="project.name")
    project_id = serializers.IntegerField()
    arm = ArmOutput(allow_null=True)
    available = serializers.SerializerMethodField()
    available_from = serializers.SerializerMethodField()
    blocked_reason = serializers.SerializerMethodField()

    class Meta:
        model = Assignment
        fields = ["id", "study", "status", "project", "project_id", "order", "arm", "available",
                  "available_from", "blocked_reason"]  # fmt: skip

    def _availability(self, assignment: Assignment):
        return self.context.get("availability", {}).get(assignment.pk)

    def get_available(self, assignment: Assignment) -> bool:
        state = self._availability(assignment)
        return True if state is None else state.available

    def get_available_from(self, assignment: Assignment) -> datetime | None:
        state = self._availability(assignment)
        return None if state is None else state.available_from

    def get_blocked_reason(self, assignment: Assignment) -> str:
        state = self._availability(assignment)
        return "" if state is None else state.reason


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
    arm = ArmOutput(allow_null=True)
    phase = serializers.ChoiceField(choices=ReadingSession.Phase.choices)
    predictions_visible = serializers.BooleanField()
    require_calibration = serializers.BooleanField(help_text="submit is refused while recalibration is due")
    tracking_state = serializers.ChoiceField(choices=TRACKING_STATES, help_text="see GET .../tracking/")


class SentenceInput(serializers.Serializer):
    text = serializers.CharField(max_length=5000)
    start_ms = serializers.FloatField()
    end_ms = serializers.FloatField()


class ReportInput(serializers.Serializer):
    findings = serializers.CharField(allow_blank=True, max_length=20000)
    impression = serializers.CharField(allow_blank=True, required=False, default="", max_length=20000)
    labels = serializers.DictField(child=serializers.CharField())
    sentences = SentenceInput(
        many=True, required=False,
        help_text="typed sentence time spans in report order, on the clock of sentence_stream (or the server's "
        "epoch ms without it); when absent, spans come from the session's dictation transcripts",
    )  # fmt: skip
    sentence_stream = serializers.CharField(
        required=False, default="", allow_blank=True, max_length=64,
        help_text="the WebSocket stream whose clock the sentence times are on (it must have pinged)",
    )  # fmt: skip


class AmendmentInput(serializers.Serializer):
    findings = serializers.CharField(allow_blank=True, max_length=20000)
    impression = serializers.CharField(allow_blank=True, required=False, default="", max_length=20000)
    labels = serializers.DictField(child=serializers.CharField())
    reason = serializers.CharField(max_length=2000, help_text="why the report is amended")


class SentenceOutput(serializers.Serializer):
    text = serializers.CharField()
    start_ms = serializers.FloatField(help_text="session clock: server epoch ms")
    end_ms = serializers.FloatField()
    source = serializers.ChoiceField(choices=["typing", "dictation"])


class ReportVersionOutput(serializers.Serializer):
    number = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=ReportVersion.Kind.choices)
    findings = serializers.CharField()
    impression = serializers.CharField()
    labels = serializers.DictField(child=serializers.CharField())
    sentences = SentenceOutput(many=True)
    author = serializers.CharField(source="author.username", allow_null=True, default=None)
    reason = serializers.CharField()
    created_at = serializers.DateTimeField()


class ReportDetailOutput(serializers.Serializer):
    """The report as it stands (the latest version), locked, with every version kept."""

    id = serializers.IntegerField()
    findings = serializers.CharField()
    impression = serializers.CharField()
    labels = serializers.DictField(child=serializers.CharField())
    version = serializers.IntegerField()
    locked = serializers.BooleanField()
    submitted_at = serializers.DateTimeField()
    versions = ReportVersionOutput(many=True)


class TranscriptWordInput(serializers.Serializer):
    word = serializers.CharField(max_length=200)
    start_ms = serializers.FloatField()
    end_ms = serializers.FloatField()


class TranscriptInput(serializers.Serializer):
    stream = serializers.CharField(required=False, default="", allow_blank=True, max_length=64)
    words = TranscriptWordInput(many=True)


class TranscriptOutput(serializers.Serializer):
    id = serializers.IntegerField()
    words = serializers.IntegerField(help_text="number of words kept")


class ReportOutput(serializers.Serializer):
    id = serializers.IntegerField()


class HeatmapOutput(serializers.Serializer):
    url = serializers.CharField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()


class ObservationAgreementOutput(serializers.Serializer):
    observation = serializers.CharField()
    reader = serializers.ChoiceField(choices=list(LABEL_VALUES))
    model_probability = serializers.FloatField(allow_null=True)
    model_positive = serializers.BooleanField(allow_null=True, help_text="probability >= 0.5")
    agree = serializers.BooleanField(allow_null=True, help_text="null where the reader did not mention it")


class AgreementOutput(serializers.Serializer):
    compared = serializers.IntegerField()
    agree = serializers.IntegerField()
    disagreements = serializers.ListField(child=serializers.CharField())
    observations = ObservationAgreementOutput(many=True)


class PredictionOutput(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=["pending", "no_model", "done", "failed", "hidden"],
        help_text="hidden: the session's arm does not show the model now (message says why)",
    )
    message = serializers.CharField()
    probabilities = serializers.DictField(child=serializers.FloatField(), allow_null=True)
    findings = serializers.CharField(allow_null=True)
    attention_url = serializers.CharField(allow_null=True)
    agreement = AgreementOutput(allow_null=True, required=False)


class ResultsOutput(serializers.Serializer):
    """A session's results; also the WebSocket message ``{"type": "results"}`` pushed when the worker finishes."""

    type = serializers.ChoiceField(choices=["results"])
    session_id = serializers.IntegerField()
    status = serializers.CharField()
    error = serializers.CharField(allow_null=True)
    fixation_count = serializers.IntegerField(allow_null=True)
    sample_count = serializers.IntegerField(allow_null=True)
    heatmap = HeatmapOutput(allow_null=True)
    prediction = PredictionOutput()
    arm_mode = serializers.ChoiceField(choices=StudyArm.Mode.choices, allow_null=True)
    phase = serializers.ChoiceField(choices=ReadingSession.Phase.choices)
