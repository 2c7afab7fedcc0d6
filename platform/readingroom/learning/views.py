"""HTTP adapters for study leads and ML engineers: the model registry, training runs, active-learning rounds
and the learning curve. Every list can be downloaded with ``?download=csv`` or ``?download=json``."""

from __future__ import annotations

import json

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from readingroom.core.api import get_or_not_found as _get
from readingroom.core.api import validated as _valid
from readingroom.core.exceptions import InvalidInput
from readingroom.core.permissions import require_role
from readingroom.curation.models import DatasetVersion
from readingroom.learning import selectors
from readingroom.learning.models import LearningLoop
from readingroom.learning.serializers import (
    ImagePredictionOutput,
    InferenceJobInput,
    InferenceJobOutput,
    LearningCurveOutput,
    LearningLoopOutput,
    LearningOptionsOutput,
    LearningRoundOutput,
    LoopCreateInput,
    LoopUpdateInput,
    LossPoint,
    ModelChangeOutput,
    ModelEvaluationOutput,
    ModelVersionOutput,
    ProjectModelOutput,
    PromoteInput,
    TrainingRunInput,
    TrainingRunOutput,
)
from readingroom.learning.services import loop_create, loop_update, round_start
from readingroom.modeling import registry
from readingroom.modeling.inference import inference_job_queue
from readingroom.modeling.models import (
    ImagePrediction,
    InferenceJob,
    ModelChange,
    ModelEvaluation,
    ModelVersion,
    ProjectModel,
    TrainingRun,
)
from readingroom.modeling.services import training_run_queue
from readingroom.modeling.training import training_run_cancel
from readingroom.reading.models import ReadingProject

READERS = ("lead", "engineer", "admin")  # may see the registry, runs, rounds and curves
ENGINEERS = ("engineer", "admin")  # may train, promote and roll back
LEADS = ("lead", "engineer", "admin")  # may create and change a loop, and start a round
DOWNLOAD = OpenApiParameter("download", enum=["csv", "json"], required=False,
                            description="return the data as a file to download")  # fmt: skip


def _respond(
    request: Request, data, *, rows: list[dict], columns: list[str], name: str
) -> Response | HttpResponse:
    """JSON, or a CSV/JSON attachment when ``?download=`` asks for one."""
    kind = request.query_params.get("download")
    if kind is None:
        return Response(data)
    if kind == "csv":
        response = HttpResponse(selectors.rows_csv(rows, columns), content_type="text/csv; charset=utf-8")
    elif kind == "json":
        response = HttpResponse(json.dumps(data, indent=1, default=str), content_type="application/json")
    else:
        raise InvalidInput(f"download must be csv or json, got {kind!r}")
    response["Content-Disposition"] = f'attachment; filename="{name}.{kind}"'
    return response


_VERSION_COLUMNS = ["id", "name", "version", "config_name", "checkpoint_sha256", "dataset_version", "is_active",
                    "created_by", "created_at"]  # fmt: skip
_RUN_COLUMNS = ["id", "name", "status", "config_name", "data_spec", "dataset_version", "max_steps", "model_version",
                "error", "created_by", "created_at", "updated_at"]  # fmt: skip
_EVALUATION_COLUMNS = ["id", "project", "candidate", "baseline", "heldout_spec", "metric", "margin", "status",
                       "candidate_value", "baseline_value", "beats", "promoted", "reason", "error",
                       "created_at"]  # fmt: skip
_ROUND_COLUMNS = ["id", "number", "status", "scoring", "strategy", "reads_at_start", "reads_at_end",
                  "heldout_value", "model_before", "model_after", "evaluation", "created_at", "finished_at"]  # fmt: skip


class ModelVersionListView(APIView):
    @extend_schema(parameters=[DOWNLOAD], responses=ModelVersionOutput(many=True))
    def get(self, request: Request):
        require_role(request, *READERS)
        data = ModelVersionOutput(ModelVersion.objects.order_by("-created_at"), many=True).data
        return _respond(request, data, rows=data, columns=_VERSION_COLUMNS, name="model-versions")


class EvaluationListView(APIView):
    @extend_schema(
        parameters=[DOWNLOAD, OpenApiParameter("project", int, required=False),
                    OpenApiParameter("candidate", int, required=False)],
        responses=ModelEvaluationOutput(many=True),
    )  # fmt: skip
    def get(self, request: Request):
        require_role(request, *READERS)
        qs = ModelEvaluation.objects.order_by("-created_at")
        for key in ("project", "candidate"):
            if key in request.query_params:
                try:
                    qs = qs.filter(**{f"{key}_id": int(request.query_params[key])})
                except ValueError as exc:
                    raise InvalidInput(f"{key} must be an integer id") from exc
        data = ModelEvaluationOutput(qs, many=True).data
        return _respond(request, data, rows=data, columns=_EVALUATION_COLUMNS, name="evaluations")


class EvaluationView(APIView):
    @extend_schema(responses=ModelEvaluationOutput)
    def get(self, request: Request, evaluation_id: int):
        """One evaluation: poll a queued promotion until its status is done (promoted tells) or failed."""
        require_role(request, *READERS)
        return Response(ModelEvaluationOutput(_get(ModelEvaluation, evaluation_id, "model evaluation")).data)


class ProjectModelView(APIView):
    @extend_schema(responses=ProjectModelOutput)
    def get(self, request: Request, project_id: int):
        require_role(request, *READERS)
        project = _get(ReadingProject, project_id, "reading project")
        return Response(self.payload(project))

    @staticmethod
    def payload(project: ReadingProject) -> dict:
        own = ProjectModel.objects.filter(project=project, current__isnull=False).exists()
        current = registry.project_model_version(project)
        return {
            "project": project.pk, "own": own, "current": ModelVersionOutput(current).data if current else None,
            "changes": ModelChangeOutput(ModelChange.objects.filter(project=project), many=True).data,
        }  # fmt: skip


class ProjectPromoteView(APIView):
    @extend_schema(request=PromoteInput, responses={202: ModelEvaluationOutput})
    def post(self, request: Request, project_id: int):
        """Queue the evaluation of a candidate on a frozen held-out set (queue gpu); the worker promotes it if
        it beats the project's current version. Poll ``/api/model-evaluations/<id>/`` until done or failed."""
        require_role(request, *ENGINEERS)
        project = _get(ReadingProject, project_id, "reading project")
        data = _valid(PromoteInput, request)
        version = (
            _get(DatasetVersion, data["heldout_version"], "dataset version")
            if data["heldout_version"]
            else None
        )
        heldout = registry.HeldOut(
            version=version, split=data["heldout_split"], phantoms=data["heldout_phantoms"]
        )
        evaluation = registry.evaluation_queue(
            project=project, candidate=_get(ModelVersion, data["candidate"], "model version"), heldout=heldout,
            metric=data["metric"], margin=data["margin"], user=request.user,
        )  # fmt: skip
        return Response(ModelEvaluationOutput(evaluation).data, status=202)


class ProjectRollbackView(APIView):
    @extend_schema(request=None, responses=ProjectModelOutput)
    def post(self, request: Request, project_id: int):
        require_role(request, *ENGINEERS)
        project = _get(ReadingProject, project_id, "reading project")
        registry.project_rollback(project=project, user=request.user)
        return Response(ProjectModelView.payload(project))


class TrainingRunListView(APIView):
    @extend_schema(parameters=[DOWNLOAD], responses=TrainingRunOutput(many=True))
    def get(self, request: Request):
        require_role(request, *READERS)
        data = TrainingRunOutput(TrainingRun.objects.order_by("-created_at")[:200], many=True).data
        return _respond(request, data, rows=data, columns=_RUN_COLUMNS, name="training-runs")

    @extend_schema(request=TrainingRunInput, responses={201: TrainingRunOutput})
    def post(self, request: Request):
        require_role(request, *ENGINEERS)
        data = _valid(TrainingRunInput, request)
        version = data.pop("dataset_version")
        version = _get(DatasetVersion, version, "dataset version") if version else None
        run = training_run_queue(**data, dataset_version=version, user=request.user)
        return Response(TrainingRunOutput(run).data, status=201)


class TrainingRunView(APIView):
    @extend_schema(responses=TrainingRunOutput)
    def get(self, request: Request, run_id: int):
        require_role(request, *READERS)
        return Response(TrainingRunOutput(_get(TrainingRun, run_id, "training run")).data)


class TrainingRunLossView(APIView):
    @extend_schema(parameters=[DOWNLOAD], responses=LossPoint(many=True))
    def get(self, request: Request, run_id: int):
        require_role(request, *READERS)
        progress = _get(TrainingRun, run_id, "training run").progress
        return _respond(
            request, progress, rows=progress, columns=["step", "loss"], name=f"training-run-{run_id}-loss"
        )


class TrainingRunCancelView(APIView):
    @extend_schema(request=None, responses=TrainingRunOutput)
    def post(self, request: Request, run_id: int):
        require_role(request, *ENGINEERS)
        return Response(
            TrainingRunOutput(training_run_cancel(run=_get(TrainingRun, run_id, "training run"))).data
        )


class LearningLoopListView(APIView):
    @extend_schema(responses=LearningLoopOutput(many=True))
    def get(self, request: Request):
        require_role(request, *READERS)
        loops = LearningLoop.objects.select_related("project").prefetch_related("readers").order_by("pk")
        return Response(LearningLoopOutput(loops, many=True).data)

    @extend_schema(request=LoopCreateInput, responses={201: LearningLoopOutput})
    def post(self, request: Request):
        """Give a reading project its learning loop (409 when it has one)."""
        require_role(request, *LEADS)
        data = dict(_valid(LoopCreateInput, request))
        loop = loop_create(project_id=data.pop("project"), **data, user=request.user)
        return Response(LearningLoopOutput(loop).data, status=201)


class LearningOptionsView(APIView):
    @extend_schema(responses=LearningOptionsOutput)
    def get(self, request: Request):
        """The scoring methods, strategies and model presets a loop may name."""
        require_role(request, *READERS)
        return Response(selectors.learning_options())


class LearningLoopView(APIView):
    @extend_schema(responses=LearningLoopOutput)
    def get(self, request: Request, loop_id: int):
        require_role(request, *READERS)
        return Response(LearningLoopOutput(_get(LearningLoop, loop_id, "learning loop")).data)

    @extend_schema(request=LoopUpdateInput, responses=LearningLoopOutput)
    def patch(self, request: Request, loop_id: int):
        """Change scoring, strategy, per_round or retrain_every (from the next round on)."""
        require_role(request, *LEADS)
        loop = _get(LearningLoop, loop_id, "learning loop")
        loop = loop_update(loop=loop, **_valid(LoopUpdateInput, request), user=request.user)
        return Response(LearningLoopOutput(loop).data)


class LearningRoundListView(APIView):
    @extend_schema(parameters=[DOWNLOAD], responses=LearningRoundOutput(many=True))
    def get(self, request: Request, loop_id: int):
        require_role(request, *READERS)
        loop = _get(LearningLoop, loop_id, "learning loop")
        data = LearningRoundOutput(loop.rounds.order_by("number"), many=True).data
        return _respond(
            request, data, rows=data, columns=_ROUND_COLUMNS, name=f"learning-loop-{loop_id}-rounds"
        )

    @extend_schema(request=None, responses={201: LearningRoundOutput})
    def post(self, request: Request, loop_id: int):
        """Start the next round now (refused while one is open): score, select, assign."""
        require_role(request, *LEADS)
        rnd = round_start(loop=_get(LearningLoop, loop_id, "learning loop"), user=request.user)
        return Response(LearningRoundOutput(rnd).data, status=201)


class LearningCurveView(APIView):
    @extend_schema(parameters=[DOWNLOAD], responses=LearningCurveOutput)
    def get(self, request: Request, loop_id: int):
        require_role(request, *READERS)
        data = selectors.loop_curve(loop=_get(LearningLoop, loop_id, "learning loop"))
        return _respond(request, data, rows=data["points"], name=f"learning-loop-{loop_id}-curve",
                        columns=["round", "reads", "heldout_value", "metric", "promoted", "model_version"])  # fmt: skip


class InferenceJobListView(APIView):
    @extend_schema(request=InferenceJobInput, responses={201: InferenceJobOutput})
    def post(self, request: Request):
        """Predict every image of a cohort or a frozen dataset version with a model version (queue gpu)."""
        require_role(request, *ENGINEERS)
        data = _valid(InferenceJobInput, request)
        from readingroom.curation.models import Cohort

        job = inference_job_queue(
            model_version=_get(ModelVersion, data["model_version"], "model version"),
            cohort=_get(Cohort, data["cohort"], "cohort") if data["cohort"] else None,
            dataset_version=_get(DatasetVersion, data["dataset_version"], "dataset version")
            if data["dataset_version"] else None,
            batch_size=data["batch_size"], user=request.user,
        )  # fmt: skip
        return Response(InferenceJobOutput(job).data, status=201)


class InferenceJobView(APIView):
    @extend_schema(responses=InferenceJobOutput)
    def get(self, request: Request, job_id: int):
        require_role(request, *READERS)
        return Response(InferenceJobOutput(_get(InferenceJob, job_id, "inference job")).data)


class InferenceJobPredictionsView(APIView):
    @extend_schema(responses=ImagePredictionOutput(many=True))
    def get(self, request: Request, job_id: int):
        require_role(request, *READERS)
        job = _get(InferenceJob, job_id, "inference job")
        return Response(ImagePredictionOutput(job.predictions.order_by("image_id"), many=True).data)


class ImagePredictionAttentionView(APIView):
    @extend_schema(responses={(200, "application/octet-stream"): bytes})
    def get(self, request: Request, prediction_id: int):
        require_role(request, *READERS)
        from readingroom.core.files import media_response

        prediction = _get(ImagePrediction, prediction_id, "image prediction")
        response = media_response(prediction.attention_file, "application/octet-stream",
                                  missing=f"the attention map of image prediction {prediction.pk} is missing")  # fmt: skip
        response["Content-Disposition"] = f'attachment; filename="prediction-{prediction.pk}-attention.npy"'
        return response
