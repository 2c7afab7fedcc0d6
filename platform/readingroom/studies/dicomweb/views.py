"""DICOMweb HTTP adapters: QIDO-RS search and WADO-RS retrieve, metadata, frames and rendered images."""

from __future__ import annotations

from django.http import HttpResponse, StreamingHttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request
from rest_framework.views import APIView

from readingroom.core.exceptions import InvalidInput
from readingroom.core.services import audit_record
from readingroom.studies.dicomweb import frames as wado_frames
from readingroom.studies.dicomweb.instances import instances_of
from readingroom.studies.dicomweb.matching import parse_query
from readingroom.studies.dicomweb.negotiation import Offer, choose, parse_accept
from readingroom.studies.dicomweb.qido import MAX_RESULTS, qido_search
from readingroom.studies.dicomweb.rendered import negotiate_rendered, rendered_bytes, rendered_quality
from readingroom.studies.dicomweb.responses import DICOM_JSON, IMMUTABLE, dicom_json, multipart
from readingroom.studies.dicomweb.retrieve import DICOM, encoded_instances, negotiate_instances

_AUDIT_MAX_IDS = 1000  # ids named in one audit event (a frame list is bounded to as many)
_DATASETS = {"type": "array", "items": {"type": "object", "additionalProperties": True}}
_BINARY = OpenApiTypes.BINARY


class _AnyAccept(DefaultContentNegotiation):
    """Ignore ``Accept`` when choosing the renderer: the views negotiate DICOMweb media types themselves
    (``multipart/related; type=...``, ``application/dicom+json``), which no REST framework renderer names.
    Errors are answered as JSON ``{"detail": ...}``."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class _DicomWebView(APIView):
    content_negotiation_class = _AnyAccept


def _accept(request: Request):
    # PS3.18 8.3.3.1: an ``accept`` query parameter stands in for the header (for links in a browser).
    return parse_accept(request.query_params.get("accept") or request.headers.get("Accept"))


def _json_accepted(request: Request) -> None:
    """:class:`NotAcceptable` unless ``Accept`` allows DICOM JSON (``application/json`` is taken as it)."""
    choose(
        _accept(request), [Offer(DICOM_JSON), Offer("application/json")], multipart=False, what="DICOM JSON"
    )


def _audit_download(request: Request, action: str, found, frames: list[int] | None = None) -> None:
    """One audit event per download request (not per part): who took which instances (and frames)."""
    (image, _), *_ = found
    detail = {"images": [i.pk for i, _ in found][:_AUDIT_MAX_IDS]}
    if frames is not None:
        detail["frames"] = frames[:_AUDIT_MAX_IDS]
    audit_record(actor=request.user, action=action, target=f"study:{image.study_id}", detail=detail)


def _no_params(request: Request) -> None:
    if names := ", ".join(sorted(set(request.query_params) - {"accept"}))[:200]:
        raise InvalidInput(f"this DICOMweb resource takes no query parameters but accept (got {names})")


_QIDO_PARAMETERS = [
    OpenApiParameter("limit", int, description=f"results per response (1-{MAX_RESULTS})"),
    OpenApiParameter("offset", int, description="results to skip (paging)"),
    OpenApiParameter(
        "includefield", str, many=True, description="attribute keywords or tags to return, or 'all'"
    ),
    OpenApiParameter("fuzzymatching", bool, description="not supported: true gets a Warning header"),
    OpenApiParameter("accept", str, description="stands in for the Accept header"),
    *[
        OpenApiParameter(keyword, str, description=f"matching key ({kind})")
        for keyword, kind in (
            ("StudyInstanceUID", "UID list"),
            ("SeriesInstanceUID", "UID list"),
            ("SOPInstanceUID", "UID list"),
            ("PatientID", "wildcards * ?"),
            ("PatientName", "wildcards * ?, case-insensitive"),
            ("StudyDate", "date or range YYYYMMDD-YYYYMMDD"),
            ("StudyTime", "time or range HHMMSS-HHMMSS"),
            ("AccessionNumber", "wildcards * ?"),
            ("StudyDescription", "wildcards * ?"),
            ("ModalitiesInStudy", "list CR\\DX"),
            ("Modality", "list CR\\DX"),
            ("SeriesNumber", "number"),
            ("InstanceNumber", "number"),
            ("SOPClassUID", "UID list"),
        )
    ],
]
_QIDO_RESPONSES = {
    (200, DICOM_JSON): OpenApiResponse(
        _DATASETS, description="DICOM JSON array of matches (Warning header possible)"
    ),
    400: OpenApiResponse(description="unknown parameter or malformed value"),
}


class QidoView(_DicomWebView):
    """QIDO-RS search; ``level`` is set per route, and the URL may scope it to a study and a series."""

    level = "study"

    @extend_schema(parameters=_QIDO_PARAMETERS, responses=_QIDO_RESPONSES)
    def get(
        self, request: Request, study_uid: str | None = None, series_uid: str | None = None
    ) -> HttpResponse:
        query = parse_query(request.query_params.lists(), max_limit=MAX_RESULTS)
        _json_accepted(request)
        root = request.build_absolute_uri(reverse("dicomweb-qido-studies")).removesuffix("/studies")
        found, warnings = qido_search(
            user=request.user, level=self.level, query=query, root=root, study_uid=study_uid,
            series_uid=series_uid,
        )  # fmt: skip
        return dicom_json(found, warnings=warnings)


_RETRIEVE = {
    (200, "multipart/related"): OpenApiResponse(
        _BINARY,
        description='parts of type "application/dicom" (transfer-syntax: 1.2.840.10008.1.2.1 by default, '
        "* as stored, 1.2.840.10008.1.2.4.80 or .90 lossless)",
    ),
    406: OpenApiResponse(description="the asked transfer syntax cannot be produced"),
}


class WadoRetrieveView(_DicomWebView):
    """WADO-RS retrieve of a study, a series or an instance: ``multipart/related`` DICOM files, streamed."""

    @extend_schema(responses=_RETRIEVE)
    def get(
        self, request: Request, study_uid: str, series_uid: str | None = None, sop_uid: str | None = None
    ) -> StreamingHttpResponse:
        _no_params(request)
        found = instances_of(user=request.user, study_uid=study_uid, series_uid=series_uid, sop_uid=sop_uid)
        offer = negotiate_instances(_accept(request), found)
        _audit_download(request, "dicomweb.retrieve", found)
        return multipart(encoded_instances(found, offer), DICOM, cache=IMMUTABLE)


class WadoMetadataView(_DicomWebView):
    """WADO-RS metadata of a study, a series or an instance: DICOM JSON, no pixel data."""

    @extend_schema(
        responses={(200, DICOM_JSON): OpenApiResponse(_DATASETS, description="DICOM JSON, one per instance")},
    )
    def get(
        self, request: Request, study_uid: str, series_uid: str | None = None, sop_uid: str | None = None
    ) -> HttpResponse:
        _no_params(request)
        _json_accepted(request)
        found = instances_of(user=request.user, study_uid=study_uid, series_uid=series_uid, sop_uid=sop_uid)
        return dicom_json(header for _, header in found)


class WadoFramesView(_DicomWebView):
    """WADO-RS frames of an instance, in the transfer syntax negotiated from ``Accept``."""

    @extend_schema(
        responses={
            (200, "multipart/related"): OpenApiResponse(
                _BINARY,
                description="one part per frame: application/octet-stream (1.2.840.10008.1.2.1), image/jpeg "
                "(1.2.840.10008.1.2.4.50, 8-bit), image/jls (.4.80) or image/jp2 (.4.90)",
            ),
            400: OpenApiResponse(description="a malformed frame list, or more than 1000 frames"),
            404: OpenApiResponse(description="no such instance or frame"),
            406: OpenApiResponse(description="the asked transfer syntax cannot be produced"),
        }
    )
    def get(
        self, request: Request, study_uid: str, series_uid: str, sop_uid: str, frames: str
    ) -> StreamingHttpResponse:
        _no_params(request)
        numbers = wado_frames.parse_frame_list(frames)
        ((image, header),) = instances_of(
            user=request.user, study_uid=study_uid, series_uid=series_uid, sop_uid=sop_uid
        )
        wado_frames.check_frames_exist(numbers, header)
        offer = wado_frames.negotiate_frames(_accept(request), header)
        parts = wado_frames.encoded_frames(image, header, numbers, offer)
        _audit_download(request, "dicomweb.frames", [(image, header)], frames=list(numbers))
        return multipart(parts, offer.media_type, cache=IMMUTABLE)


class WadoRenderedView(_DicomWebView):
    """WADO-RS rendered instance (or its frame 1): the display rendering as PNG or JPEG."""

    @extend_schema(
        parameters=[
            OpenApiParameter("quality", int, description="JPEG quality 1-100 (default 90)"),
            OpenApiParameter(
                "accept", str, description="stands in for the Accept header: image/png, image/jpeg"
            ),
        ],
        responses={
            (200, "image/png", "image/jpeg"): OpenApiResponse(_BINARY, description="the display rendering"),
            406: OpenApiResponse(description="neither image/png nor image/jpeg is acceptable"),
        },
    )
    def get(
        self, request: Request, study_uid: str, series_uid: str, sop_uid: str, frame: int | None = None
    ) -> HttpResponse:
        quality = rendered_quality(request.query_params.lists())
        ((image, header),) = instances_of(
            user=request.user, study_uid=study_uid, series_uid=series_uid, sop_uid=sop_uid
        )
        if frame is not None:
            wado_frames.check_frames_exist([frame], header)
            if frame != 1:
                raise InvalidInput("rendered: only frame 1 has a display rendering")
        offer = negotiate_rendered(_accept(request))
        data = rendered_bytes(image, offer, quality=quality)
        _audit_download(
            request, "dicomweb.rendered", [(image, header)], frames=None if frame is None else [frame]
        )
        response = HttpResponse(data, content_type=offer.media_type)
        response["Cache-Control"] = "private, max-age=3600"
        response["Vary"] = "Accept"
        return response
