"""URL routes: the API under /api/, the admin, the OpenAPI schema, and the single-page app."""

from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from readingroom import spa
from readingroom.core import views as core_views
from readingroom.curation import views as curation_views
from readingroom.learning import pages as learning_pages
from readingroom.reading import views as reading_views
from readingroom.studies import dicomweb
from readingroom.studies import views as studies_views

_INSTANCE = "studies/<str:study_uid>/series/<str:series_uid>/instances/<str:sop_uid>"

api = [
    path("auth/csrf/", core_views.CsrfView.as_view()),
    path("auth/login/", core_views.LoginView.as_view()),
    path("auth/logout/", core_views.LogoutView.as_view()),
    path("auth/me/", core_views.MeView.as_view()),
    path("worklist/", reading_views.WorklistView.as_view()),
    path("assignments/<int:assignment_id>/start/", reading_views.SessionStartView.as_view()),
    path("sessions/<int:session_id>/report/", reading_views.ReportView.as_view()),
    path("sessions/<int:session_id>/results/", reading_views.ResultsView.as_view()),
    path(
        "sessions/<int:session_id>/heatmap.png", reading_views.HeatmapView.as_view(), name="session-heatmap"
    ),
    path(
        "sessions/<int:session_id>/attention.png",
        reading_views.AttentionView.as_view(),
        name="session-attention",
    ),
    path("images/<int:image_id>/", studies_views.ImageDetailView.as_view()),
    path("images/<int:image_id>/pixels", studies_views.ImagePixelsView.as_view(), name="image-pixels"),
    path("images/<int:image_id>/display.png", studies_views.ImageDisplayView.as_view(), name="image-display"),
    path(
        "images/<int:image_id>/thumbnail.png",
        studies_views.ImageThumbnailView.as_view(),
        name="image-thumbnail",
    ),
    path("imports/", studies_views.ImportJobListView.as_view()),
    path("imports/<int:job_id>/", studies_views.ImportJobDetailView.as_view()),
    path("cohorts/", curation_views.CohortListView.as_view()),
    path("cohorts/<int:cohort_id>/images/", curation_views.CohortImagesView.as_view()),
    path("datasets/", curation_views.DatasetListView.as_view()),
    path("datasets/<int:dataset_id>/versions/", curation_views.DatasetFreezeView.as_view()),
    path("dataset-versions/<int:version_id>/", curation_views.DatasetVersionView.as_view()),
    path("dataset-versions/<int:version_id>/exports/", curation_views.DatasetVersionExportView.as_view()),
    path("studies/<int:study_id>/labels/", curation_views.StudyLabelsView.as_view()),
    path("studies/<int:study_id>/report/", curation_views.StudyReportView.as_view()),
    path("dicomweb/studies", dicomweb.QidoStudiesView.as_view()),
    path("dicomweb/studies/<str:study_uid>/series", dicomweb.QidoSeriesView.as_view()),
    path(
        "dicomweb/studies/<str:study_uid>/series/<str:series_uid>/instances",
        dicomweb.QidoInstancesView.as_view(),
    ),
    path(f"dicomweb/{_INSTANCE}", dicomweb.WadoInstanceView.as_view()),
    path(f"dicomweb/{_INSTANCE}/metadata", dicomweb.WadoMetadataView.as_view()),
    path(f"dicomweb/{_INSTANCE}/frames/<str:frames>", dicomweb.WadoFramesView.as_view()),
    path(f"dicomweb/{_INSTANCE}/rendered", dicomweb.WadoRenderedView.as_view()),
    path("", include("readingroom.learning.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema")),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include(api)),
    path("learning/loops/<int:loop_id>/", learning_pages.curve_page, name="learning-curve"),
    path("learning/loops/<int:loop_id>/curve.png", learning_pages.curve_png, name="learning-curve-png"),
    path("", spa.index),
    re_path(r"^(?!api/|admin/|static/|ws/|media/)(?P<path>.*)$", spa.index),
]
