"""HTTP adapters of the reader-study analytics (study leads and administrators only): the result tables as
JSON, each figure as PNG or SVG, and the archive (tables, figures, data dictionary) as one zip."""

from __future__ import annotations

import math

from django.http import HttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from readingroom.core.api import ErrorOutput
from readingroom.core.exceptions import NotFound
from readingroom.core.models import Role
from readingroom.core.permissions import require_role
from readingroom.core.services import audit_record

from . import exports, figures, selectors
from .serializers import AnalyticsOutput

LEADS = (Role.STUDY_LEAD, Role.ADMIN)


def _json_safe(v):
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, dict):
        return {k: _json_safe(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_json_safe(x) for x in v]
    return v


class StudyAnalyticsView(APIView):
    @extend_schema(responses={200: AnalyticsOutput, 403: ErrorOutput, 404: ErrorOutput})
    def get(self, request: Request, study_id: int) -> Response:
        require_role(request, *LEADS)
        data = selectors.study_data(project_id=study_id)
        body = {
            "study_id": data.project.pk, "name": data.project.name, "reads": len(data.reads),
            "fixations": len(data.fixations), "region_sources": sorted({r["region_source"] for r in data.reads}),
            "figures": {name: reverse("study-analytics-figure", args=[study_id, name, "png"]) for name in figures.FIGURES},
            "archive_url": reverse("study-analytics-archive", args=[study_id]), **exports.results(data),
        }  # fmt: skip
        return Response(_json_safe(body))


class StudyAnalyticsFigureView(APIView):
    @extend_schema(responses={(200, "image/png"): OpenApiResponse(OpenApiTypes.BINARY, description="the figure, PNG"),
                              (200, "image/svg+xml"): OpenApiResponse(OpenApiTypes.BINARY, description="the figure, SVG"),
                              404: ErrorOutput})  # fmt: skip
    def get(self, request: Request, study_id: int, figure: str, fmt: str) -> HttpResponse:
        require_role(request, *LEADS)
        if figure not in figures.FIGURES or fmt not in figures.FORMATS:
            raise NotFound(f"no figure {figure}.{fmt}: figures are {sorted(figures.FIGURES)} as png or svg")
        data = selectors.study_data(project_id=study_id)
        response = HttpResponse(figures.render(figure, data.reads, data.fixations, fmt),
                                content_type=figures.FORMATS[fmt])  # fmt: skip
        if request.query_params.get("download"):
            response["Content-Disposition"] = f'attachment; filename="study-{study_id}-{figure}.{fmt}"'
        return response


class StudyAnalyticsArchiveView(APIView):
    @extend_schema(responses={(200, "application/zip"): OpenApiResponse(description="tables, figures, data "
                                                                                   "dictionary"), 404: ErrorOutput})  # fmt: skip
    def get(self, request: Request, study_id: int) -> HttpResponse:
        require_role(request, *LEADS)
        data = selectors.study_data(project_id=study_id)
        body = exports.archive(data)
        audit_record(actor=request.user, action="study.analytics.download", target=f"reader_study:{study_id}")
        response = HttpResponse(body, content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="reader-study-{study_id}-analytics.zip"'
        return response
