"""HTTP adapters of the curation services (curators and admins only)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from readingroom.core.api import get_or_not_found, validated
from readingroom.core.permissions import require_role
from readingroom.core.services import audit_record
from readingroom.curation import selectors, services
from readingroom.curation.models import Cohort, Dataset, DatasetVersion, LabelEdit
from readingroom.curation.serializers import (
    CohortImagesOutput,
    CohortInput,
    CohortOutput,
    DatasetInput,
    DatasetOutput,
    DatasetVersionOutput,
    ExportInput,
    ExportOutput,
    FreezeInput,
    LabelsInput,
    StudyLabelsOutput,
    StudyReportInput,
)
from readingroom.studies.models import Study

_CURATORS = ("curator", "admin")


class CohortListView(APIView):
    @extend_schema(responses=CohortOutput(many=True))
    def get(self, request: Request) -> Response:
        require_role(request, *_CURATORS)
        return Response(CohortOutput(Cohort.objects.order_by("name"), many=True).data)

    @extend_schema(request=CohortInput, responses={201: CohortOutput})
    def post(self, request: Request) -> Response:
        require_role(request, *_CURATORS)
        cohort = services.cohort_create(**validated(CohortInput, request), user=request.user)
        audit_record(actor=request.user, action="cohort.create", target=f"cohort:{cohort.pk}")
        return Response(CohortOutput(cohort).data, status=201)


class CohortImagesView(APIView):
    @extend_schema(responses=CohortImagesOutput)
    def get(self, request: Request, cohort_id: int) -> Response:
        require_role(request, *_CURATORS)
        images = selectors.cohort_filter_images(filters=get_or_not_found(Cohort, cohort_id, "cohort").filters)
        return Response({"count": len(images), "image_ids": [i.pk for i in images]})


class DatasetListView(APIView):
    @extend_schema(responses=DatasetOutput(many=True))
    def get(self, request: Request) -> Response:
        require_role(request, *_CURATORS)
        return Response(DatasetOutput(Dataset.objects.prefetch_related("versions"), many=True).data)

    @extend_schema(request=DatasetInput, responses={201: DatasetOutput})
    def post(self, request: Request) -> Response:
        require_role(request, *_CURATORS)
        data = validated(DatasetInput, request)
        cohort = get_or_not_found(Cohort, data["cohort"], "cohort") if data["cohort"] is not None else None
        dataset = services.dataset_create(name=data["name"], description=data["description"], cohort=cohort,
                                          user=request.user)  # fmt: skip
        audit_record(actor=request.user, action="dataset.create", target=f"dataset:{dataset.pk}")
        return Response(DatasetOutput(dataset).data, status=201)


class DatasetFreezeView(APIView):
    @extend_schema(request=FreezeInput, responses={201: DatasetVersionOutput})
    def post(self, request: Request, dataset_id: int) -> Response:
        require_role(request, *_CURATORS)
        data = validated(FreezeInput, request)
        version = services.dataset_version_freeze(dataset=get_or_not_found(Dataset, dataset_id, "dataset"), user=request.user,
                                                  **data)  # fmt: skip
        audit_record(
            actor=request.user, action="dataset_version.freeze", target=f"dataset_version:{version.pk}"
        )
        return Response(DatasetVersionOutput(version).data, status=201)


class DatasetVersionView(APIView):
    @extend_schema(responses=DatasetVersionOutput)
    def get(self, request: Request, version_id: int) -> Response:
        require_role(request, *_CURATORS)
        version = get_or_not_found(DatasetVersion, version_id, "dataset version")
        audit_record(
            actor=request.user, action="dataset_version.view", target=f"dataset_version:{version.pk}"
        )
        return Response(DatasetVersionOutput(version).data)


class DatasetVersionExportView(APIView):
    @extend_schema(request=ExportInput, responses={202: ExportOutput})
    def post(self, request: Request, version_id: int) -> Response:
        require_role(request, *_CURATORS)
        version = get_or_not_found(DatasetVersion, version_id, "dataset version")
        export_format = validated(ExportInput, request)["format"]
        folder = services.version_export_queue(version=version, format=export_format)
        audit_record(actor=request.user, action="dataset_version.export", target=f"dataset_version:{version.pk}",
                     detail={"format": export_format, "folder": folder})  # fmt: skip
        return Response({"status": "queued", "folder": folder}, status=202)


def _labels_out(study: Study) -> dict:
    history = LabelEdit.objects.filter(study=study).select_related("edited_by")
    return StudyLabelsOutput({"study": study.pk, "labels": selectors.study_labels(study=study),
                              "history": history}).data  # fmt: skip


class StudyLabelsView(APIView):
    @extend_schema(responses=StudyLabelsOutput)
    def get(self, request: Request, study_id: int) -> Response:
        require_role(request, *_CURATORS)
        return Response(_labels_out(get_or_not_found(Study, study_id, "study")))

    @extend_schema(request=LabelsInput, responses=StudyLabelsOutput)
    def patch(self, request: Request, study_id: int) -> Response:
        require_role(request, *_CURATORS)
        study = get_or_not_found(Study, study_id, "study")
        data = validated(LabelsInput, request)
        services.study_labels_set(study=study, labels=data["labels"], source="curator", user=request.user,
                                  reason=data["reason"])  # fmt: skip
        audit_record(actor=request.user, action="study.labels.set", target=f"study:{study.pk}",
                     detail={"labels": data["labels"]})  # fmt: skip
        return Response(_labels_out(study))


class StudyReportView(APIView):
    @extend_schema(request=StudyReportInput, responses=StudyLabelsOutput)
    def put(self, request: Request, study_id: int) -> Response:
        require_role(request, *_CURATORS)
        study = get_or_not_found(Study, study_id, "study")
        services.study_report_set(study=study, text=validated(StudyReportInput, request)["text"])
        audit_record(actor=request.user, action="study.report.set", target=f"study:{study.pk}")
        return Response(_labels_out(study))
