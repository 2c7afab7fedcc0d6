"""HTTP adapters of the reader-study services (study leads and administrators only)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from readingroom.core.api import ErrorOutput
from readingroom.core.models import Role, User
from readingroom.core.permissions import require_role
from readingroom.reading import study_selectors, study_services
from readingroom.reading.study_serializers import (
    ReaderProgressOutput,
    ReaderStudyOutput,
    ReassignInput,
    ReassignOutput,
    StudyCreateInput,
    StudyReadingOutput,
    StudyUpdateInput,
    UserSummaryOutput,
)

LEADS = (Role.STUDY_LEAD, Role.ADMIN)


def _study(project_id: int) -> dict:
    return ReaderStudyOutput(study_selectors.study_get(project_id=project_id)).data


class ReaderStudyListView(APIView):
    @extend_schema(responses=ReaderStudyOutput(many=True))
    def get(self, request: Request) -> Response:
        require_role(request, *LEADS)
        return Response(ReaderStudyOutput(study_selectors.studies_list(), many=True).data)

    @extend_schema(
        request=StudyCreateInput, responses={201: ReaderStudyOutput, 400: ErrorOutput, 409: ErrorOutput}
    )
    def post(self, request: Request) -> Response:
        require_role(request, *LEADS)
        data = StudyCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        project = study_services.study_create(lead=request.user, **data.validated_data)
        return Response(_study(project.pk), status=status.HTTP_201_CREATED)


class ReaderStudyDetailView(APIView):
    @extend_schema(responses=ReaderStudyOutput)
    def get(self, request: Request, study_id: int) -> Response:
        require_role(request, *LEADS)
        return Response(_study(study_id))

    @extend_schema(request=StudyUpdateInput, responses={200: ReaderStudyOutput, 409: ErrorOutput})
    def patch(self, request: Request, study_id: int) -> Response:
        require_role(request, *LEADS)
        data = StudyUpdateInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        study_services.study_update(project_id=study_id, lead=request.user, **data.validated_data)
        return Response(_study(study_id))


class ReaderStudyStartView(APIView):
    @extend_schema(request=None, responses={200: ReaderStudyOutput, 400: ErrorOutput, 409: ErrorOutput},
                   description="Start a draft study: 400 when its dataset version is not frozen (or it has no "
                   "cases, arms or readers), 409 when it has started already.")  # fmt: skip
    def post(self, request: Request, study_id: int) -> Response:
        require_role(request, *LEADS)
        study_services.study_start(project_id=study_id, lead=request.user)
        return Response(_study(study_id))


class ReaderStudyCloseView(APIView):
    @extend_schema(request=None, responses={200: ReaderStudyOutput, 409: ErrorOutput})
    def post(self, request: Request, study_id: int) -> Response:
        require_role(request, *LEADS)
        study_services.study_close(project_id=study_id, lead=request.user)
        return Response(_study(study_id))


class ReaderStudyProgressView(APIView):
    @extend_schema(responses=ReaderProgressOutput(many=True))
    def get(self, request: Request, study_id: int) -> Response:
        require_role(request, *LEADS)
        project = study_selectors.study_get(project_id=study_id)
        return Response(ReaderProgressOutput(study_selectors.study_progress(project=project), many=True).data)


class ReaderStudyReadingsView(APIView):
    @extend_schema(responses=StudyReadingOutput(many=True))
    def get(self, request: Request, study_id: int) -> Response:
        require_role(request, *LEADS)
        project = study_selectors.study_get(project_id=study_id)
        return Response(StudyReadingOutput(study_selectors.study_readings(project=project), many=True).data)


class AssignmentReassignView(APIView):
    @extend_schema(request=ReassignInput, responses={200: ReassignOutput, 409: ErrorOutput})
    def post(self, request: Request, assignment_id: int) -> Response:
        require_role(request, *LEADS)
        data = ReassignInput(data=request.data)
        data.is_valid(raise_exception=True)
        assignment = study_services.assignment_reassign(
            assignment_id=assignment_id, lead=request.user, reader_id=data.validated_data["reader_id"]
        )
        return Response(ReassignOutput(assignment).data)


class UserListView(APIView):
    """Users by role, for the study set-up screens (``?role=reader``)."""

    @extend_schema(
        parameters=[OpenApiParameter("role", str, required=False)], responses=UserSummaryOutput(many=True)
    )
    def get(self, request: Request) -> Response:
        require_role(request, *LEADS)
        role = request.query_params.get("role", "")
        users = [
            u
            for u in User.objects.filter(is_active=True).order_by("username")
            if not role or u.has_role(role)
        ]
        return Response(UserSummaryOutput(users, many=True).data)
