"""URL routes: the API under /api/, the admin, the OpenAPI schema, and the single-page app."""

from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from readingroom import spa
from readingroom.analytics import views as analytics_views
from readingroom.core import token_views
from readingroom.core import views as core_views
from readingroom.curation import views as curation_views
from readingroom.gaze import views as gaze_views
from readingroom.learning import pages as learning_pages
from readingroom.learning import urls as learning_urls
from readingroom.reading import study_views
from readingroom.reading import views as reading_views
from readingroom.studies import views as studies_views
from readingroom.studies.dicomweb import urls as dicomweb_urls

api = [
    path("auth/csrf/", core_views.CsrfView.as_view()),
    path("auth/login/", core_views.LoginView.as_view()),
    path("auth/logout/", core_views.LogoutView.as_view()),
    path("auth/me/", core_views.MeView.as_view()),
    path("auth/tokens/", token_views.TokenListView.as_view()),
    path("auth/tokens/<int:token_id>/revoke/", token_views.TokenRevokeView.as_view()),
    path("audit/", core_views.AuditLogView.as_view()),
    path("worklist/", reading_views.WorklistView.as_view()),
    path("assignments/<int:assignment_id>/start/", reading_views.SessionStartView.as_view()),
    path("sessions/<int:session_id>/report/", reading_views.ReportView.as_view()),
    path("sessions/<int:session_id>/results/", reading_views.ResultsView.as_view()),
    path("sessions/<int:session_id>/report/amendments/", reading_views.AmendmentView.as_view()),
    path("sessions/<int:session_id>/second-read/", reading_views.SecondReadView.as_view()),
    path("sessions/<int:session_id>/transcripts/", reading_views.TranscriptView.as_view()),
    path("sessions/<int:session_id>/tracker-checks/", gaze_views.TrackerCheckView.as_view()),
    path("sessions/<int:session_id>/drift-checks/", gaze_views.DriftCheckView.as_view()),
    path("sessions/<int:session_id>/tracking/", gaze_views.TrackingStatusView.as_view()),
    path("reader-studies/", study_views.ReaderStudyListView.as_view()),
    path("reader-studies/<int:study_id>/", study_views.ReaderStudyDetailView.as_view()),
    path("reader-studies/<int:study_id>/start/", study_views.ReaderStudyStartView.as_view()),
    path("reader-studies/<int:study_id>/close/", study_views.ReaderStudyCloseView.as_view()),
    path("reader-studies/<int:study_id>/progress/", study_views.ReaderStudyProgressView.as_view()),
    path("reader-studies/<int:study_id>/readings/", study_views.ReaderStudyReadingsView.as_view()),
    path("reader-studies/<int:study_id>/analytics/", analytics_views.StudyAnalyticsView.as_view()),
    path(
        "reader-studies/<int:study_id>/analytics/figures/<str:figure>.<str:fmt>",
        analytics_views.StudyAnalyticsFigureView.as_view(),
        name="study-analytics-figure",
    ),
    path(
        "reader-studies/<int:study_id>/analytics/archive.zip",
        analytics_views.StudyAnalyticsArchiveView.as_view(),
        name="study-analytics-archive",
    ),
    path("assignments/<int:assignment_id>/reassign/", study_views.AssignmentReassignView.as_view()),
    path("users/", study_views.UserListView.as_view()),
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
    *dicomweb_urls.urlpatterns,
    *learning_urls.urlpatterns,
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="schema")),  # no inline script (CSP)
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include(api)),
    path("learning/loops/<int:loop_id>/curve.png", learning_pages.curve_png, name="learning-curve-png"),
    path("", spa.index),
    re_path(r"^(?!api/|admin/|static/|ws/|media/)(?P<path>.*)$", spa.index),
]
