"""HTTP adapters of the tracker-quality services (calibration, validation, drift checks)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from readingroom.core.api import ErrorOutput
from readingroom.gaze import quality
from readingroom.gaze.serializers import (
    DriftCheckInput,
    TrackerCheckInput,
    TrackerCheckOutput,
    TrackingStatusOutput,
)
from readingroom.reading.selectors import session_for_reader


class TrackerCheckView(APIView):
    """A calibration or validation: the targets and the samples recorded while they were shown; the server
    computes accuracy, precision (degrees) and data loss (%) and judges them against the limits."""

    @extend_schema(
        request=TrackerCheckInput, responses={201: TrackerCheckOutput, 400: ErrorOutput, 409: ErrorOutput}
    )
    def post(self, request: Request, session_id: int) -> Response:
        session = session_for_reader(session_id=session_id, reader=request.user)
        data = TrackerCheckInput(data=request.data)
        data.is_valid(raise_exception=True)
        check = quality.tracker_check_store(session=session, **data.validated_data)
        return Response(TrackerCheckOutput(check).data, status=status.HTTP_201_CREATED)


class DriftCheckView(APIView):
    @extend_schema(
        request=DriftCheckInput, responses={201: TrackerCheckOutput, 400: ErrorOutput, 409: ErrorOutput}
    )
    def post(self, request: Request, session_id: int) -> Response:
        session = session_for_reader(session_id=session_id, reader=request.user)
        data = DriftCheckInput(data=request.data)
        data.is_valid(raise_exception=True)
        check = quality.drift_check_store(session=session, **data.validated_data)
        return Response(TrackerCheckOutput(check).data, status=status.HTTP_201_CREATED)


class TrackingStatusView(APIView):
    @extend_schema(responses=TrackingStatusOutput)
    def get(self, request: Request, session_id: int) -> Response:
        session = session_for_reader(session_id=session_id, reader=request.user)
        payload = quality.tracking_status(session=session)
        payload["checks"] = list(session.tracker_checks.all())
        return Response(TrackingStatusOutput(payload).data)
