"""HTTP adapters of the reading services."""

from __future__ import annotations

from django.http import FileResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from readingroom.core.files import media_response
from readingroom.core.services import audit_record
from readingroom.gaze.models import GazeAnalysis
from readingroom.modeling.models import Prediction
from readingroom.reading import selectors, services
from readingroom.reading.results import session_results
from readingroom.reading.serializers import (
    AssignmentOutput,
    ReportInput,
    ReportOutput,
    ResultsOutput,
    SessionStartInput,
    SessionStartOutput,
    StudyOutput,
)


class WorklistView(APIView):
    @extend_schema(responses=AssignmentOutput(many=True))
    def get(self, request: Request) -> Response:
        return Response(AssignmentOutput(selectors.worklist_for(reader=request.user), many=True).data)


class SessionStartView(APIView):
    @extend_schema(request=SessionStartInput, responses=SessionStartOutput)
    def post(self, request: Request, assignment_id: int) -> Response:
        data = SessionStartInput(data=request.data or {})
        data.is_valid(raise_exception=True)
        session = services.session_start(
            assignment_id=assignment_id, reader=request.user, screen=data.validated_data.get("screen")
        )
        study = session.assignment.study
        return Response(
            {
                "session_id": session.pk,
                "ws_path": f"/ws/gaze/{session.pk}/",
                "capture_token": session.capture_token,
                "study": StudyOutput(study).data,
            }
        )


class ReportView(APIView):
    @extend_schema(request=ReportInput, responses={201: ReportOutput})
    def post(self, request: Request, session_id: int) -> Response:
        session = selectors.session_for_reader(session_id=session_id, reader=request.user)
        data = ReportInput(data=request.data)
        data.is_valid(raise_exception=True)
        report = services.report_submit(session=session, reader=request.user, **data.validated_data)
        return Response({"id": report.pk}, status=status.HTTP_201_CREATED)


class ResultsView(APIView):
    @extend_schema(responses=ResultsOutput)
    def get(self, request: Request, session_id: int) -> Response:
        session = selectors.session_for_reader(session_id=session_id, reader=request.user)
        audit_record(actor=request.user, action="session.results.view", target=f"session:{session.pk}")
        return Response(session_results(session=session))


def _media_file(relative: str, content_type: str) -> FileResponse:
    return media_response(relative, content_type, missing="not computed yet")


class HeatmapView(APIView):
    @extend_schema(responses={(200, "image/png"): OpenApiResponse(description="RGBA heatmap PNG")})
    def get(self, request: Request, session_id: int) -> FileResponse:
        session = selectors.session_for_reader(session_id=session_id, reader=request.user)
        analysis = GazeAnalysis.objects.filter(session=session).first()
        audit_record(actor=request.user, action="session.heatmap.download", target=f"session:{session.pk}")
        return _media_file(analysis.heatmap_file if analysis else "", "image/png")


class AttentionView(APIView):
    @extend_schema(responses={(200, "image/png"): OpenApiResponse(description="RGBA attention PNG")})
    def get(self, request: Request, session_id: int) -> FileResponse:
        session = selectors.session_for_reader(session_id=session_id, reader=request.user)
        prediction = Prediction.objects.filter(session=session).first()
        audit_record(actor=request.user, action="session.attention.download", target=f"session:{session.pk}")
        return _media_file(prediction.attention_file if prediction else "", "image/png")
