"""DICOMweb routes, included under ``/api/`` (the service root is ``/api/dicomweb``)."""

from django.urls import path

from readingroom.studies.dicomweb import views

_STUDY = "dicomweb/studies/<str:study_uid>"
_SERIES = f"{_STUDY}/series/<str:series_uid>"
_INSTANCE = f"{_SERIES}/instances/<str:sop_uid>"

urlpatterns = [
    path("dicomweb/studies", views.QidoView.as_view(level="study"), name="dicomweb-studies"),
    path("dicomweb/series", views.QidoView.as_view(level="series")),
    path("dicomweb/instances", views.QidoView.as_view(level="instance")),
    path(f"{_STUDY}/series", views.QidoView.as_view(level="series")),
    path(f"{_STUDY}/instances", views.QidoView.as_view(level="instance")),
    path(f"{_SERIES}/instances", views.QidoView.as_view(level="instance")),
    path(_STUDY, views.WadoRetrieveView.as_view()),
    path(_SERIES, views.WadoRetrieveView.as_view()),
    path(_INSTANCE, views.WadoRetrieveView.as_view()),
    path(f"{_STUDY}/metadata", views.WadoMetadataView.as_view()),
    path(f"{_SERIES}/metadata", views.WadoMetadataView.as_view()),
    path(f"{_INSTANCE}/metadata", views.WadoMetadataView.as_view()),
    path(f"{_INSTANCE}/frames/<str:frames>", views.WadoFramesView.as_view()),
    path(f"{_INSTANCE}/rendered", views.WadoRenderedView.as_view()),
    path(f"{_INSTANCE}/frames/<int:frame>/rendered", views.WadoRenderedView.as_view()),
]
