"""Image metadata and pixels for the viewer; import jobs for curators."""

from __future__ import annotations

from urllib.parse import quote

from django.conf import settings
from django.http import FileResponse
from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from readingroom.core.exceptions import Forbidden, NotFound
from readingroom.core.files import media_response
from readingroom.core.permissions import require_role
from readingroom.core.services import audit_record
from readingroom.reading.selectors import user_can_view_study
from readingroom.studies.derivatives import image_display_png, image_thumbnail_png
from readingroom.studies.dicomweb import series_uid_of
from readingroom.studies.ingest import import_job_create
from readingroom.studies.models import Image, ImportJob
from readingroom.studies.pixels import image_derive, image_window
from readingroom.studies.serializers import ImportJobInput, ImportJobOutput


class ImageOutput(serializers.ModelSerializer):
    """An image's display metadata, derivative URLs, and its DICOMweb coordinates.

    ``wado_rs_url`` is the WADO-RS instance URL (``/api/dicomweb/studies/{study}/series/{series}/instances/{sop}``);
    the viewer fetches ``{wado_rs_url}/metadata`` and ``{wado_rs_url}/frames/1``.
    """

    study_uid = serializers.CharField(source="study.study_uid", read_only=True)
    series_uid = serializers.SerializerMethodField()
    wado_rs_url = serializers.SerializerMethodField()
    pixels_url = serializers.SerializerMethodField()
    display_url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()

    class Meta:
        model = Image
        fields = [
            "id", "study", "rows", "columns", "bits_stored", "photometric_interpretation", "rescale_slope",
            "rescale_intercept", "window_center", "window_width", "pixel_spacing", "view_position",
            "pixels_url", "display_url", "thumbnail_url", "study_uid", "series_uid", "sop_uid", "wado_rs_url",
        ]  # fmt: skip

    def _series_uid(self, image: Image) -> str:
        cached = getattr(image, "_dicomweb_series_uid", None)
        if cached is None:
            cached = series_uid_of(image)
            image._dicomweb_series_uid = cached
        return cached

    def get_series_uid(self, image: Image) -> str:
        return self._series_uid(image)

    def get_wado_rs_url(self, image: Image) -> str:
        study, series = quote(image.study.study_uid), quote(self._series_uid(image))
        return f"/api/dicomweb/studies/{study}/series/{series}/instances/{quote(image.sop_uid)}"

    def get_pixels_url(self, image: Image) -> str:
        return reverse("image-pixels", args=[image.pk])

    def get_display_url(self, image: Image) -> str:
        return reverse("image-display", args=[image.pk])

    def get_thumbnail_url(self, image: Image) -> str:
        return reverse("image-thumbnail", args=[image.pk])


def _image_for(request: Request, image_id: int) -> Image:
    image = Image.objects.filter(pk=image_id).first()
    if image is None:
        raise NotFound(f"image {image_id} does not exist")
    if not user_can_view_study(user=request.user, study_id=image.study_id):
        raise Forbidden(f"image {image_id} is not on your worklist")
    return image


def _file(relative: str, content_type: str) -> FileResponse:
    return media_response(relative, content_type, missing="the file of this image is missing", max_age=3600)


class ImageDetailView(APIView):
    @extend_schema(responses=ImageOutput)
    def get(self, request: Request, image_id: int) -> Response:
        image = _image_for(request, image_id)
        audit_record(actor=request.user, action="image.view", target=f"image:{image.pk}")
        image_window(image)  # a window the header lacked is computed with the pixels, the first time
        return Response(ImageOutput(image).data)


class ImagePixelsView(APIView):
    @extend_schema(responses={(200, "application/octet-stream"): OpenApiResponse(description="uint16 LE")})
    def get(self, request: Request, image_id: int) -> FileResponse:
        image = _image_for(request, image_id)
        audit_record(actor=request.user, action="image.download", target=f"image:{image.pk}")
        return _file(image_derive(image).pixels_file, "application/octet-stream")  # made the first time


class ImageDisplayView(APIView):
    @extend_schema(responses={(200, "image/png"): OpenApiResponse(description="8-bit display PNG")})
    def get(self, request: Request, image_id: int) -> FileResponse:
        return FileResponse(
            image_display_png(_image_for(request, image_id)).open("rb"), content_type="image/png"
        )


class ImageThumbnailView(APIView):
    @extend_schema(responses={(200, "image/png"): OpenApiResponse(description="thumbnail PNG")})
    def get(self, request: Request, image_id: int) -> FileResponse:
        image = _image_for(request, image_id)
        return FileResponse(image_thumbnail_png(image).open("rb"), content_type="image/png")


class ImportJobListView(APIView):
    """Import jobs: start one (curators), list the latest."""

    @extend_schema(responses=ImportJobOutput(many=True))
    def get(self, request: Request) -> Response:
        require_role(request, "curator", "admin")
        return Response(ImportJobOutput(ImportJob.objects.all()[:50], many=True).data)

    @extend_schema(request=ImportJobInput, responses={201: ImportJobOutput})
    def post(self, request: Request) -> Response:
        require_role(request, "curator", "admin")
        data = ImportJobInput(data=request.data)
        data.is_valid(raise_exception=True)
        job = import_job_create(
            sources=data.validated_data["sources"],
            options={k: data.validated_data[k] for k in ("indication", "history", "layout")},
            user=request.user,
            allowed_roots=settings.INGEST_ALLOWED_ROOTS,
        )
        audit_record(actor=request.user, action="import.create", target=f"import_job:{job.pk}")
        return Response(ImportJobOutput(job).data, status=201)


class ImportJobDetailView(APIView):
    @extend_schema(responses=ImportJobOutput)
    def get(self, request: Request, job_id: int) -> Response:
        require_role(request, "curator", "admin")
        job = ImportJob.objects.filter(pk=job_id).first()
        if job is None:
            raise NotFound(f"import job {job_id} does not exist")
        return Response(ImportJobOutput(job).data)
