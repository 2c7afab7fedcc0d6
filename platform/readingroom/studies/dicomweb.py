"""A DICOMweb subset (PS3.18) for viewers: QIDO-RS search and WADO-RS retrieval of the stored, de-identified
instances.

- QIDO-RS: ``GET studies`` (matching ``StudyInstanceUID``, ``PatientID``, ``ModalitiesInStudy``),
  ``GET studies/{study}/series``, ``GET studies/{study}/series/{series}/instances``;
  responses are ``application/dicom+json``.
- WADO-RS: ``.../instances/{instance}`` (``multipart/related; type="application/dicom"``),
  ``.../instances/{instance}/metadata`` (``application/dicom+json``, no bulk data),
  ``.../instances/{instance}/frames/1`` (``multipart/related; type="application/octet-stream"``, the decoded
  frame as uncompressed little-endian pixels), ``.../instances/{instance}/rendered`` (``image/png``, the
  display rendering: VOI LUT / window, MONOCHROME1 inverted).

Images imported from DICOM are served from their stored, de-identified file. Images imported from bitmaps
(PNG/JPEG, no DICOM file) are served as secondary-capture instances: their header is built from the
``Image`` fields (:func:`instance_header`), their frame is the stored uint16 pixels, and ``.../instances/{instance}``
answers 404 (there is no DICOM file to send). Readers see the studies on their worklist, other roles all.
"""

from __future__ import annotations

import uuid

import numpy as np
import pydicom
from django.http import HttpResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from pydicom.uid import generate_uid
from pydicom.valuerep import DSfloat
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request
from rest_framework.views import APIView

from readingroom.core.exceptions import Forbidden, NotFound
from readingroom.core.files import media_path
from readingroom.reading.selectors import user_can_view_study, user_sees_all_studies
from readingroom.studies.models import Image, Study

_JSON = "application/dicom+json"


_SECONDARY_CAPTURE = "1.2.840.10008.5.1.4.1.1.7"


def _ds(value: float) -> DSfloat:
    return DSfloat(value, auto_format=True)


def bitmap_series_uid(image: Image) -> str:
    """The series UID given to images without a DICOM file: one series per study, stable across calls."""
    return generate_uid(entropy_srcs=["readingroom-bitmap-series", image.study.study_uid])


def instance_header(image: Image) -> pydicom.Dataset:
    """The DICOM header of an image without pixel data: the stored file's, or one built from ``image``.

    Built headers describe what :class:`WadoFramesView` sends for them: one frame of unsigned 16-bit
    stored values (``BitsAllocated`` 16, ``PixelRepresentation`` 0) with the image's rescale and window.
    """
    if image.dicom_file:
        return pydicom.dcmread(media_path(image.dicom_file), stop_before_pixels=True)
    ds = pydicom.Dataset()
    ds.SOPClassUID = _SECONDARY_CAPTURE
    ds.SOPInstanceUID = image.sop_uid
    ds.StudyInstanceUID = image.study.study_uid
    ds.SeriesInstanceUID = bitmap_series_uid(image)
    ds.PatientID = image.study.patient.key
    ds.Modality = image.modality or "OT"
    ds.SeriesNumber = 1
    ds.InstanceNumber = 1
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = image.photometric_interpretation
    ds.Rows, ds.Columns = image.rows, image.columns
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = 16, image.bits_stored, image.bits_stored - 1
    ds.PixelRepresentation = 0
    ds.RescaleSlope, ds.RescaleIntercept = _ds(image.rescale_slope), _ds(image.rescale_intercept)
    ds.WindowCenter, ds.WindowWidth = _ds(image.window_center), _ds(image.window_width)
    if image.view_position:
        ds.ViewPosition = image.view_position
    if image.pixel_spacing:
        ds.PixelSpacing = [_ds(v) for v in image.pixel_spacing]
    return ds


def series_uid_of(image: Image) -> str:
    """The series instance UID under which the DICOMweb views serve ``image``."""
    return str(instance_header(image).get("SeriesInstanceUID", ""))


def _visible_studies(request: Request):
    studies = Study.objects.filter(images__isnull=False).distinct().order_by("pk")
    if not user_sees_all_studies(user=request.user):
        studies = studies.filter(assignments__reader=request.user)
    return studies


def _study(request: Request, study_uid: str) -> Study:
    study = Study.objects.filter(study_uid=study_uid).first()
    if study is None:
        raise NotFound(f"study {study_uid} does not exist")
    if not user_can_view_study(user=request.user, study_id=study.pk):
        raise Forbidden(f"study {study_uid} is not on your worklist")
    return study


def _instances(study: Study, series_uid: str | None = None) -> list[tuple[Image, pydicom.Dataset]]:
    out = []
    for image in study.images.select_related("study__patient").order_by("pk"):
        header = instance_header(image)
        if series_uid is None or str(header.get("SeriesInstanceUID", "")) == series_uid:
            out.append((image, header))
    return out


def _instance(
    request: Request, study_uid: str, series_uid: str, sop_uid: str
) -> tuple[Image, pydicom.Dataset]:
    study = _study(request, study_uid)
    image = study.images.filter(sop_uid=sop_uid).select_related("study__patient").first()
    if image is None:
        raise NotFound(f"instance {sop_uid} does not exist in study {study_uid}")
    header = instance_header(image)
    if str(header.get("SeriesInstanceUID", "")) != series_uid:
        raise NotFound(f"instance {sop_uid} is not in series {series_uid}")
    return image, header


def _json(datasets: list[pydicom.Dataset]) -> HttpResponse:
    import json

    return HttpResponse(json.dumps([ds.to_json_dict() for ds in datasets]), content_type=_JSON)


def _multipart(parts: list[bytes], part_type: str, extra: str = "") -> HttpResponse:
    boundary = uuid.uuid4().hex
    body = b"".join(
        f"--{boundary}\r\nContent-Type: {part_type}{extra}\r\n\r\n".encode() + part + b"\r\n"
        for part in parts
    )
    response = HttpResponse(body + f"--{boundary}--\r\n".encode())
    response["Content-Type"] = f'multipart/related; type="{part_type}"; boundary={boundary}'
    return response


def _study_attributes(study: Study, instances: list[tuple[Image, pydicom.Dataset]]) -> pydicom.Dataset:
    ds = pydicom.Dataset()
    first = instances[0][1]
    ds.StudyInstanceUID = study.study_uid
    ds.PatientID = str(first.get("PatientID", ""))
    ds.StudyDate = str(first.get("StudyDate", "") or "")
    ds.StudyDescription = study.description
    ds.ModalitiesInStudy = sorted({str(h.get("Modality", "")) for _, h in instances if h.get("Modality")})
    ds.NumberOfStudyRelatedSeries = len({str(h.get("SeriesInstanceUID", "")) for _, h in instances})
    ds.NumberOfStudyRelatedInstances = len(instances)
    return ds


class _AnyAccept(DefaultContentNegotiation):
    """Ignore ``Accept`` when choosing the renderer: the views build their DICOMweb bodies themselves, and
    DICOMweb clients ask for media types (``multipart/related; type=...``, ``application/dicom+json``)
    that no REST framework renderer names, which would otherwise answer 406."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class _DicomWebView(APIView):
    content_negotiation_class = _AnyAccept


class QidoStudiesView(_DicomWebView):
    @extend_schema(responses={(200, _JSON): OpenApiResponse(description="DICOM JSON study attributes")})
    def get(self, request: Request) -> HttpResponse:
        studies = _visible_studies(request)
        if request.query_params.get("StudyInstanceUID"):
            studies = studies.filter(study_uid=request.query_params["StudyInstanceUID"])
        found = []
        for study in studies[:500]:
            instances = _instances(study)
            attrs = _study_attributes(study, instances)
            if request.query_params.get("PatientID") not in (None, attrs.PatientID):
                continue
            modalities = {str(h.get("Modality", "")) for _, h in instances}
            if request.query_params.get("ModalitiesInStudy") not in (None, *modalities):
                continue
            found.append(attrs)
        return _json(found)


class QidoSeriesView(_DicomWebView):
    @extend_schema(responses={(200, _JSON): OpenApiResponse(description="DICOM JSON series attributes")})
    def get(self, request: Request, study_uid: str) -> HttpResponse:
        series: dict[str, pydicom.Dataset] = {}
        for _, header in _instances(_study(request, study_uid)):
            uid = str(header.get("SeriesInstanceUID", ""))
            if uid not in series:
                ds = pydicom.Dataset()
                ds.StudyInstanceUID, ds.SeriesInstanceUID = study_uid, uid
                ds.Modality = str(header.get("Modality", ""))
                ds.SeriesNumber = header.get("SeriesNumber", None)
                ds.NumberOfSeriesRelatedInstances = 0
                series[uid] = ds
            series[uid].NumberOfSeriesRelatedInstances += 1
        return _json(list(series.values()))


class QidoInstancesView(_DicomWebView):
    @extend_schema(
        operation_id="qido_instances",
        responses={(200, _JSON): OpenApiResponse(description="DICOM JSON instance attributes")},
    )
    def get(self, request: Request, study_uid: str, series_uid: str) -> HttpResponse:
        found = []
        for image, header in _instances(_study(request, study_uid), series_uid):
            ds = pydicom.Dataset()
            ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SOPInstanceUID = (
                study_uid,
                series_uid,
                image.sop_uid,
            )
            ds.SOPClassUID = header.SOPClassUID
            ds.InstanceNumber = header.get("InstanceNumber", None)
            ds.Rows, ds.Columns = image.rows, image.columns
            found.append(ds)
        return _json(found)


class WadoInstanceView(_DicomWebView):
    @extend_schema(
        operation_id="wado_instance",
        responses={(200, "multipart/related"): OpenApiResponse(description="application/dicom part")},
    )
    def get(self, request: Request, study_uid: str, series_uid: str, sop_uid: str) -> HttpResponse:
        image, _ = _instance(request, study_uid, series_uid, sop_uid)
        if not image.dicom_file:
            raise NotFound(f"instance {sop_uid} was imported from a bitmap and has no DICOM file")
        data = media_path(image.dicom_file).read_bytes()
        return _multipart([data], "application/dicom")


class WadoMetadataView(_DicomWebView):
    @extend_schema(responses={(200, _JSON): OpenApiResponse(description="DICOM JSON, no bulk data")})
    def get(self, request: Request, study_uid: str, series_uid: str, sop_uid: str) -> HttpResponse:
        _, header = _instance(request, study_uid, series_uid, sop_uid)
        return _json([header])


class WadoFramesView(_DicomWebView):
    @extend_schema(responses={(200, "multipart/related"): OpenApiResponse(description="uncompressed frames")})
    def get(
        self, request: Request, study_uid: str, series_uid: str, sop_uid: str, frames: str
    ) -> HttpResponse:
        image, _ = _instance(request, study_uid, series_uid, sop_uid)
        wanted = [int(f) for f in frames.split(",") if f.strip().isdigit()]
        if image.dicom_file:
            pixels = pydicom.dcmread(media_path(image.dicom_file)).pixel_array
        else:
            raw = media_path(image.pixels_file).read_bytes()
            pixels = np.frombuffer(raw, dtype="<u2").reshape(image.rows, image.columns)
        stack = pixels[None] if pixels.ndim == 2 else pixels
        if not wanted or any(f < 1 or f > len(stack) for f in wanted):
            raise NotFound(f"frames {frames}: the instance has {len(stack)} frame(s)")
        dtype = pixels.dtype.newbyteorder("<")
        parts = [np.ascontiguousarray(stack[f - 1], dtype=dtype).tobytes() for f in wanted]
        return _multipart(parts, "application/octet-stream", "; transfer-syntax=1.2.840.10008.1.2.1")


class WadoRenderedView(_DicomWebView):
    @extend_schema(responses={(200, "image/png"): OpenApiResponse(description="display rendering")})
    def get(self, request: Request, study_uid: str, series_uid: str, sop_uid: str) -> HttpResponse:
        image, _ = _instance(request, study_uid, series_uid, sop_uid)
        return HttpResponse(media_path(image.display_file).read_bytes(), content_type="image/png")
