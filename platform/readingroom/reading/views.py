"""HTTP adapters of the reading services."""

from __future__ import annotations

from django.http import FileResponse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from readingroom.core.api import ErrorOutput
from readingroom.core.exceptions import Forbidden, NotFound
from readingroom.core.files import media_response
from readingroom.core.services import audit_record
from readingroom.gaze.models import GazeAnalysis
from readingroom.gaze.quality import tracking_status
from readingroom.modeling.models import Prediction
from readingroom.reading import selectors, services
from readingroom.reading.arms import predictions_hidden_reason, predictions_visible
from readingroom.reading.models import Report
from readingroom.reading.reports import report_amend, report_edit_refuse, report_history, transcript_store
from readingroom.reading.results import session_results
from readingroom.reading.serializers import (
    AmendmentInput,
    ArmOutput,
    AssignmentOutput,
    ReportDetailOutput,
    ReportInput,
    ReportOutput,
    ReportVersionOutput,
    ResultsOutput,
    SessionStartInput,
    SessionStartOutput,
    StudyOutput,
    TranscriptInput,
    TranscriptOutput,
)
from readingroom.reading.study_reading import second_read_submit
from readingroom.reading.study_selectors import worklist_availability


class WorklistView(APIView):
    @extend_schema(responses=AssignmentOutput(many=True))
    def get(self, request: Request) -> Response:
        assignments = list(selectors.worklist_for(reader=request.user).select_related("arm"))
        availability = worklist_availability(assignments=assignments, reader=request.user)
        return Response(AssignmentOutput(assignments, many=True, context={"availability": availability}).data)


class SessionStartView(APIView):
    @extend_schema(request=SessionStartInput, responses=SessionStartOutput)
    def post(self, request: Request, assignment_id: int) -> Response:
        data = SessionStartInput(data=request.data or {})
        data.is_valid(raise_exception=True)
        session = services.session_start(
            assignment_id=assignment_id, reader=request.user, screen=data.validated_data.get("screen")
        )
        assignment = session.assignment
        return Response(
            {
                "session_id": session.pk,
                "ws_path": f"/ws/gaze/{session.pk}/",
                "capture_token": session.capture_token,
                "study": StudyOutput(assignment.study).data,
                "arm": ArmOutput(assignment.arm).data if assignment.arm else None,
                "phase": session.phase,
                "predictions_visible": predictions_visible(session),
                "require_calibration": assignment.project.require_calibration,
                "tracking_state": tracking_status(session=session)["state"],
            }
        )


def _report_payload(report: Report) -> dict:
    return {"id": report.pk, "findings": report.findings, "impression": report.impression,
            "labels": report.labels, "version": report.version, "locked": True,
            "submitted_at": report.submitted_at, "versions": report_history(report=report)}  # fmt: skip


class ReportView(APIView):
    """The session's report: submit once (POST); read it with its versions (GET); edits are refused (409)."""

    @extend_schema(responses=ReportDetailOutput)
    def get(self, request: Request, session_id: int) -> Response:
        session = selectors.session_for_reader(session_id=session_id, reader=request.user)
        report = Report.objects.filter(session=session).first()
        if report is None:
            raise NotFound(f"reading session {session_id} has no report yet")
        return Response(ReportDetailOutput(_report_payload(report)).data)

    @extend_schema(request=ReportInput, responses={201: ReportOutput})
    def post(self, request: Request, session_id: int) -> Response:
        session = selectors.session_for_reader(session_id=session_id, reader=request.user)
        data = ReportInput(data=request.data)
        data.is_valid(raise_exception=True)
        report = services.report_submit(session=session, reader=request.user, **data.validated_data)
        return Response({"id": report.pk}, status=status.HTTP_201_CREATED)

    @extend_schema(request=ReportInput, responses={409: ErrorOutput},
                   description="Always refused: a submitted report is locked; amend it instead.")  # fmt: skip
    def put(self, request: Request, session_id: int) -> Response:
        session = selectors.session_for_reader(session_id=session_id, reader=request.user)
        report_edit_refuse(session=session, reader=request.user, content=dict(request.data))
        raise AssertionError("unreachable: report_edit_refuse always raises")

    @extend_schema(request=ReportInput, responses={409: ErrorOutput},
                   description="Always refused: a submitted report is locked; amend it instead.")  # fmt: skip
    def patch(self, request: Request, session_id: int) -> Response:
        return self.put(request, session_id)


class AmendmentView(APIView):
    @extend_schema(request=AmendmentInput, responses={201: ReportVersionOutput})
    def post(self, request: Request, session_id: int) -> Response:
        session = selectors.session_for_reader(session_id=session_id, reader=request.user)
        data = AmendmentInput(data=request.data)
        data.is_valid(raise_exception=True)
        version = report_amend(session=session, author=request.user, **data.validated_data)
        return Response(ReportVersionOutput(version).data, status=status.HTTP_201_CREATED)


class SecondReadView(APIView):
    @extend_schema(request=ReportInput, responses={201: ReportVersionOutput})
    def post(self, request: Request, session_id: int) -> Response:
        session = selectors.session_for_reader(session_id=session_id, reader=request.user)
        data = ReportInput(data=request.data)
        data.is_valid(raise_exception=True)
        version = second_read_submit(session=session, reader=request.user, **data.validated_data)
        return Response(ReportVersionOutput(version).data, status=status.HTTP_201_CREATED)


class TranscriptView(APIView):
    """Dictation transcripts from a bridge (``X-Capture-Token`` header) or the reader's own page."""

    permission_classes = [AllowAny]

    @extend_schema(request=TranscriptInput, responses={201: TranscriptOutput},
                   parameters=[OpenApiParameter("X-Capture-Token", str, OpenApiParameter.HEADER, required=False)])  # fmt: skip
    def post(self, request: Request, session_id: int) -> Response:
        session = selectors.session_for_sender(
            session_id=session_id, user=request.user, capture_token=request.headers.get("X-Capture-Token", "")
        )
        data = TranscriptInput(data=request.data)
        data.is_valid(raise_exception=True)
        transcript = transcript_store(session=session, **data.validated_data)
        return Response({"id": transcript.pk, "words": len(transcript.words)}, status=status.HTTP_201_CREATED)


class ResultsView(APIView):
    """The session's results: its reader sees them masked by the arm; a lead or admin sees them whole."""

    @extend_schema(responses=ResultsOutput)
    def get(self, request: Request, session_id: int) -> Response:
        session, masked = selectors.session_for_viewer(session_id=session_id, user=request.user)
        audit_record(actor=request.user, action="session.results.view", target=f"session:{session.pk}")
        return Response(session_results(session=session, masked=masked))


def _media_file(relative: str, content_type: str) -> FileResponse:
    return media_response(relative, content_type, missing="not computed yet")


class HeatmapView(APIView):
    @extend_schema(responses={(200, "image/png"): OpenApiResponse(description="RGBA heatmap PNG")})
    def get(self, request: Request, session_id: int) -> FileResponse:
        session, _ = selectors.session_for_viewer(session_id=session_id, user=request.user)
        analysis = GazeAnalysis.objects.filter(session=session).first()
        audit_record(actor=request.user, action="session.heatmap.download", target=f"session:{session.pk}")
        return _media_file(analysis.heatmap_file if analysis else "", "image/png")


class AttentionView(APIView):
    @extend_schema(responses={(200, "image/png"): OpenApiResponse(description="RGBA attention PNG")})
    def get(self, request: Request, session_id: int) -> FileResponse:
        session, masked = selectors.session_for_viewer(session_id=session_id, user=request.user)
        if masked and not predictions_visible(session):
            raise Forbidden(predictions_hidden_reason(session))
        prediction = Prediction.objects.filter(session=session).first()
        audit_record(actor=request.user, action="session.attention.download", target=f"session:{session.pk}")
        return _media_file(prediction.attention_file if prediction else "", "image/png")
