"""Input and output shapes of the reader-study API (study leads)."""

from __future__ import annotations

from rest_framework import serializers

from readingroom.reading.models import ReadingProject, StudyArm
from readingroom.reading.serializers import ArmOutput


class ArmInput(serializers.Serializer):
    name = serializers.CharField(max_length=64)
    mode = serializers.ChoiceField(choices=StudyArm.Mode.choices)


class _StudySettings(serializers.Serializer):
    description = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    dataset_id = serializers.IntegerField(required=False, allow_null=True)
    dataset_version_id = serializers.IntegerField(
        required=False, allow_null=True, help_text="a frozen dataset version: its studies are the cases"
    )
    split = serializers.ChoiceField(choices=["", "train", "val", "test"], required=False,
                                    help_text="only the cases of this split (empty: all)")  # fmt: skip
    seed = serializers.IntegerField(required=False, min_value=0, max_value=2**62,
                                    help_text="seed of the per-reader case orders (random when omitted)")  # fmt: skip
    washout_days = serializers.FloatField(required=False, min_value=0)
    counterbalance = serializers.BooleanField(
        required=False, help_text="rotate the arm order between readers"
    )
    require_calibration = serializers.BooleanField(required=False)


class StudyCreateInput(_StudySettings):
    name = serializers.CharField(max_length=128)
    arms = ArmInput(many=True)
    reader_ids = serializers.ListField(child=serializers.IntegerField())


class StudyUpdateInput(_StudySettings):
    name = serializers.CharField(max_length=128, required=False)
    arms = ArmInput(many=True, required=False)
    reader_ids = serializers.ListField(child=serializers.IntegerField(), required=False)


class StudyReaderOutput(serializers.Serializer):
    reader_id = serializers.IntegerField()
    username = serializers.CharField(source="reader.username")
    seed = serializers.IntegerField(allow_null=True)
    arm_order = serializers.ListField(child=serializers.IntegerField())


class ReaderStudyOutput(serializers.ModelSerializer):
    status = serializers.ChoiceField(choices=ReadingProject.Status.choices)
    arms = ArmOutput(many=True)
    readers = StudyReaderOutput(many=True, source="study_readers")
    dataset_version_frozen = serializers.SerializerMethodField()

    class Meta:
        model = ReadingProject
        fields = ["id", "name", "description", "status", "dataset_id", "dataset_version_id",
                  "dataset_version_frozen", "split", "seed", "washout_days", "counterbalance",
                  "require_calibration", "created_at", "started_at", "closed_at", "arms", "readers"]  # fmt: skip

    def get_dataset_version_frozen(self, project: ReadingProject) -> bool:
        return (
            project.dataset_version is not None
            and getattr(project.dataset_version, "frozen_at", None) is not None
        )


class ArmProgressOutput(serializers.Serializer):
    arm_id = serializers.IntegerField()
    name = serializers.CharField()
    mode = serializers.ChoiceField(choices=StudyArm.Mode.choices)
    total = serializers.IntegerField()
    done = serializers.IntegerField()
    in_progress = serializers.IntegerField()
    pending = serializers.IntegerField()
    last_read_at = serializers.DateTimeField(allow_null=True)
    available = serializers.BooleanField()
    available_from = serializers.DateTimeField(allow_null=True)
    blocked_reason = serializers.CharField()


class ReaderProgressOutput(serializers.Serializer):
    reader_id = serializers.IntegerField()
    username = serializers.CharField()
    total = serializers.IntegerField()
    done = serializers.IntegerField()
    arms = ArmProgressOutput(many=True, help_text="in this reader's arm order")


class ReassignInput(serializers.Serializer):
    reader_id = serializers.IntegerField()


class ReassignOutput(serializers.Serializer):
    id = serializers.IntegerField()
    reader_id = serializers.IntegerField()
    status = serializers.CharField()
    reassigned_at = serializers.DateTimeField()


class UserSummaryOutput(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())


class StudyReadingOutput(serializers.Serializer):
    session_id = serializers.IntegerField()
    reader_id = serializers.IntegerField()
    username = serializers.CharField()
    arm_id = serializers.IntegerField(allow_null=True)
    arm = serializers.CharField()
    mode = serializers.ChoiceField(choices=StudyArm.Mode.choices, allow_null=True)
    study_id = serializers.IntegerField(help_text="the case (an imaging study)")
    submitted_at = serializers.DateTimeField()
    first_labels = serializers.DictField(child=serializers.CharField(), help_text="the first read's labels")
    final_labels = serializers.DictField(
        child=serializers.CharField(), help_text="after second read/amendments"
    )
    versions = serializers.IntegerField()
    probabilities = serializers.DictField(child=serializers.FloatField(), allow_null=True)
