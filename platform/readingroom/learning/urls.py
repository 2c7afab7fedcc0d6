"""Routes of the learning API (included under /api/)."""

from django.urls import path

from readingroom.learning import views

urlpatterns = [
    path("model-versions/", views.ModelVersionListView.as_view()),
    path("model-evaluations/", views.EvaluationListView.as_view()),
    path("model-evaluations/<int:evaluation_id>/", views.EvaluationView.as_view()),
    path("projects/<int:project_id>/model/", views.ProjectModelView.as_view()),
    path("projects/<int:project_id>/model/promote/", views.ProjectPromoteView.as_view()),
    path("projects/<int:project_id>/model/rollback/", views.ProjectRollbackView.as_view()),
    path("training-runs/", views.TrainingRunListView.as_view()),
    path("training-runs/<int:run_id>/", views.TrainingRunView.as_view()),
    path("training-runs/<int:run_id>/loss/", views.TrainingRunLossView.as_view()),
    path("training-runs/<int:run_id>/cancel/", views.TrainingRunCancelView.as_view()),
    path("learning/loops/", views.LearningLoopListView.as_view()),
    path("learning/options/", views.LearningOptionsView.as_view()),
    path("learning/loops/<int:loop_id>/", views.LearningLoopView.as_view()),
    path("learning/loops/<int:loop_id>/rounds/", views.LearningRoundListView.as_view()),
    path("learning/loops/<int:loop_id>/curve/", views.LearningCurveView.as_view()),
    path("inference-jobs/", views.InferenceJobListView.as_view()),
    path("inference-jobs/<int:job_id>/", views.InferenceJobView.as_view()),
    path("inference-jobs/<int:job_id>/predictions/", views.InferenceJobPredictionsView.as_view()),
    path("image-predictions/<int:prediction_id>/attention.npy", views.ImagePredictionAttentionView.as_view()),
]
