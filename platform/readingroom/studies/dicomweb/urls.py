"""DICOMweb routes, included under ``/api/`` (the service root is ``/api/dicomweb``)."""

from django.urls import path
from drf_spectacular.utils import extend_schema, extend_schema_view

from readingroom.studies.dicomweb import views

_STUDY = "dicomweb/studies/<str:study_uid>"
_SERIES = f"{_STUDY}/series/<str:series_uid>"
_INSTANCE = f"{_SERIES}/instances/<str:sop_uid>"


def _route(route: str, view: type, operation: str, **initkwargs):
    """``view`` at ``route``, with its own OpenAPI operation id (one view class serves several routes)."""
    named = extend_schema_view(get=extend_schema(operation_id=operation))(type(operation, (view,), {}))
    return path(route, named.as_view(**initkwargs), name=f"dicomweb-{operation.replace('_', '-')}")


urlpatterns = [
    _route("dicomweb/studies", views.QidoView, "qido_studies", level="study"),
    _route("dicomweb/series", views.QidoView, "qido_series", level="series"),
    _route("dicomweb/instances", views.QidoView, "qido_instances", level="instance"),
    _route(f"{_STUDY}/series", views.QidoView, "qido_study_series", level="series"),
    _route(f"{_STUDY}/instances", views.QidoView, "qido_study_instances", level="instance"),
    _route(f"{_SERIES}/instances", views.QidoView, "qido_series_instances", level="instance"),
    _route(_STUDY, views.WadoRetrieveView, "wado_study"),
    _route(_SERIES, views.WadoRetrieveView, "wado_series"),
    _route(_INSTANCE, views.WadoRetrieveView, "wado_instance"),
    _route(f"{_STUDY}/metadata", views.WadoMetadataView, "wado_study_metadata"),
    _route(f"{_SERIES}/metadata", views.WadoMetadataView, "wado_series_metadata"),
    _route(f"{_INSTANCE}/metadata", views.WadoMetadataView, "wado_instance_metadata"),
    _route(f"{_INSTANCE}/frames/<str:frames>", views.WadoFramesView, "wado_frames"),
    _route(f"{_INSTANCE}/rendered", views.WadoRenderedView, "wado_rendered"),
    _route(f"{_INSTANCE}/frames/<int:frame>/rendered", views.WadoRenderedView, "wado_frame_rendered"),
]
