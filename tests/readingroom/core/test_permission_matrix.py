"""Every API endpoint and method, with every role: who gets in and who is refused.

The endpoints come from the URL conf and the OpenAPI schema; an endpoint or method missing from
:data:`POLICY` fails the test, so a new one cannot be left out. "In" means any answer but 401/403 (a 400
for the empty body these requests send, a 404 for a file not computed yet); "refused" means 401, 403 or
404. No request may end in a server error.
"""

from __future__ import annotations

import pytest
from django.urls import URLPattern
from rest_framework.test import APIClient

from readingroom import urls
from readingroom.core.services import user_create
from readingroom.core.tokens import token_create
from readingroom.curation.services import cohort_create, dataset_create, dataset_version_freeze
from readingroom.modeling.models import TrainingRun
from readingroom.reading.services import report_submit
from readingroom.reading.study_services import study_create
from readingroom.studies.dicomweb import series_uid_of
from readingroom.studies.dicomweb import urls as dicomweb_urls
from readingroom.studies.ingest import import_job_create

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "owner", "other_reader", "lead", "curator", "engineer", "admin")
EVERYONE = set(ROLES)
SIGNED_IN = EVERYONE - {"anonymous"}
OWNER = {"owner"}
STUDY_VIEWERS = {"owner", "lead", "curator", "engineer", "admin"}  # the assigned reader and all-studies roles
CURATORS = {"curator", "admin"}
LEADS = {"lead", "admin"}
MODEL_READERS = {"lead", "engineer", "admin"}  # the registry, runs, loops and inference results
ENGINEERS = {"engineer", "admin"}  # train, promote, roll back, infer

# (route as written in the URL conf, method) -> the roles that get in.
POLICY: dict[tuple[str, str], set[str]] = {
    ("auth/csrf/", "get"): EVERYONE,
    ("auth/login/", "post"): EVERYONE,
    ("auth/logout/", "post"): SIGNED_IN,
    ("auth/me/", "get"): EVERYONE,  # anonymous visitors learn that they are not signed in
    ("auth/tokens/", "get"): SIGNED_IN,  # each their own; an administrator everyone's
    ("auth/tokens/", "post"): SIGNED_IN,  # for themselves; an administrator for anyone
    ("auth/tokens/<int:token_id>/revoke/", "post"): OWNER | {"admin"},  # the token's user, or an admin
    ("audit/", "get"): {"admin"},
    ("worklist/", "get"): SIGNED_IN,
    ("assignments/<int:assignment_id>/start/", "post"): OWNER,
    ("sessions/<int:session_id>/report/", "post"): OWNER,
    ("sessions/<int:session_id>/results/", "get"): OWNER | LEADS,  # the reader's view is masked by the arm
    ("sessions/<int:session_id>/heatmap.png", "get"): OWNER | LEADS,
    ("sessions/<int:session_id>/attention.png", "get"): OWNER | LEADS,
    ("sessions/<int:session_id>/report/", "get"): OWNER,
    ("sessions/<int:session_id>/report/", "put"): OWNER,  # always 409: a submitted report is locked
    ("sessions/<int:session_id>/report/", "patch"): OWNER,
    ("sessions/<int:session_id>/report/amendments/", "post"): OWNER,
    ("sessions/<int:session_id>/second-read/", "post"): OWNER,
    ("sessions/<int:session_id>/transcripts/", "post"): OWNER,  # or a bridge with the capture token
    ("sessions/<int:session_id>/tracker-checks/", "post"): OWNER,
    ("sessions/<int:session_id>/drift-checks/", "post"): OWNER,
    ("sessions/<int:session_id>/tracking/", "get"): OWNER,
    ("reader-studies/", "get"): LEADS,
    ("reader-studies/", "post"): LEADS,
    ("reader-studies/<int:study_id>/", "get"): LEADS,
    ("reader-studies/<int:study_id>/", "patch"): LEADS,
    ("reader-studies/<int:study_id>/start/", "post"): LEADS,
    ("reader-studies/<int:study_id>/close/", "post"): LEADS,
    ("reader-studies/<int:study_id>/progress/", "get"): LEADS,
    ("reader-studies/<int:study_id>/readings/", "get"): LEADS,
    ("reader-studies/<int:study_id>/analytics/", "get"): LEADS,
    ("reader-studies/<int:study_id>/analytics/figures/<str:figure>.<str:fmt>", "get"): LEADS,
    ("reader-studies/<int:study_id>/analytics/archive.zip", "get"): LEADS,
    ("assignments/<int:assignment_id>/reassign/", "post"): LEADS,
    ("users/", "get"): LEADS,
    ("model-versions/", "get"): MODEL_READERS,
    ("model-evaluations/", "get"): MODEL_READERS,
    ("model-evaluations/<int:evaluation_id>/", "get"): MODEL_READERS,
    ("projects/<int:project_id>/model/", "get"): MODEL_READERS,
    ("projects/<int:project_id>/model/promote/", "post"): ENGINEERS,
    ("projects/<int:project_id>/model/rollback/", "post"): ENGINEERS,
    ("training-runs/", "get"): MODEL_READERS,
    ("training-runs/", "post"): ENGINEERS,
    ("training-runs/<int:run_id>/", "get"): MODEL_READERS,
    ("training-runs/<int:run_id>/loss/", "get"): MODEL_READERS,
    ("training-runs/<int:run_id>/cancel/", "post"): ENGINEERS,
    ("learning/loops/", "get"): MODEL_READERS,
    ("learning/loops/", "post"): MODEL_READERS,  # a lead or an engineer may give a project its loop
    ("learning/loops/<int:loop_id>/", "get"): MODEL_READERS,
    ("learning/options/", "get"): MODEL_READERS,
    ("learning/loops/<int:loop_id>/", "patch"): MODEL_READERS,
    ("learning/loops/<int:loop_id>/rounds/", "get"): MODEL_READERS,
    ("learning/loops/<int:loop_id>/rounds/", "post"): MODEL_READERS,  # a lead may start a round
    ("learning/loops/<int:loop_id>/curve/", "get"): MODEL_READERS,
    ("inference-jobs/", "post"): ENGINEERS,
    ("inference-jobs/<int:job_id>/", "get"): MODEL_READERS,
    ("inference-jobs/<int:job_id>/predictions/", "get"): MODEL_READERS,
    ("image-predictions/<int:prediction_id>/attention.npy", "get"): MODEL_READERS,
    ("images/<int:image_id>/", "get"): STUDY_VIEWERS,
    ("images/<int:image_id>/pixels", "get"): STUDY_VIEWERS,
    ("images/<int:image_id>/display.png", "get"): STUDY_VIEWERS,
    ("images/<int:image_id>/thumbnail.png", "get"): STUDY_VIEWERS,
    ("imports/", "get"): CURATORS,
    ("imports/", "post"): CURATORS,
    ("imports/<int:job_id>/", "get"): CURATORS,
    ("cohorts/", "get"): CURATORS,
    ("cohorts/", "post"): CURATORS,
    ("cohorts/<int:cohort_id>/images/", "get"): CURATORS,
    ("datasets/", "get"): CURATORS,
    ("datasets/", "post"): CURATORS,
    ("datasets/<int:dataset_id>/versions/", "post"): CURATORS,
    ("dataset-versions/<int:version_id>/", "get"): CURATORS,
    ("dataset-versions/<int:version_id>/exports/", "post"): CURATORS,
    ("studies/<int:study_id>/labels/", "get"): CURATORS,
    ("studies/<int:study_id>/labels/", "patch"): CURATORS,
    ("studies/<int:study_id>/report/", "put"): CURATORS,
    ("dicomweb/studies", "get"): SIGNED_IN,  # a reader's answer lists only their studies
    ("dicomweb/series", "get"): SIGNED_IN,
    ("dicomweb/instances", "get"): SIGNED_IN,
    (dicomweb_urls._STUDY, "get"): STUDY_VIEWERS,
    (dicomweb_urls._STUDY + "/series", "get"): STUDY_VIEWERS,
    (dicomweb_urls._STUDY + "/instances", "get"): STUDY_VIEWERS,
    (dicomweb_urls._STUDY + "/metadata", "get"): STUDY_VIEWERS,
    (dicomweb_urls._SERIES, "get"): STUDY_VIEWERS,
    (dicomweb_urls._SERIES + "/instances", "get"): STUDY_VIEWERS,
    (dicomweb_urls._SERIES + "/metadata", "get"): STUDY_VIEWERS,
    (dicomweb_urls._INSTANCE, "get"): STUDY_VIEWERS,
    (dicomweb_urls._INSTANCE + "/metadata", "get"): STUDY_VIEWERS,
    (dicomweb_urls._INSTANCE + "/frames/<str:frames>", "get"): STUDY_VIEWERS,
    (dicomweb_urls._INSTANCE + "/frames/<int:frame>/rendered", "get"): STUDY_VIEWERS,
    (dicomweb_urls._INSTANCE + "/rendered", "get"): STUDY_VIEWERS,
    ("schema/", "get"): EVERYONE,
    ("docs/", "get"): EVERYONE,
}
_METHODS = ("get", "post", "put", "patch", "delete")


def _routes() -> set[tuple[str, str]]:
    found = set()
    for pattern in urls.api:
        assert isinstance(pattern, URLPattern)
        view = getattr(pattern.callback, "view_class", None) or getattr(pattern.callback, "cls", None)
        for method in _METHODS:
            if view is not None and hasattr(view, method):
                found.add((str(pattern.pattern), method))
    return found


def test_the_policy_names_every_endpoint_and_method_of_the_url_conf_and_the_schema(client):
    assert _routes() == set(POLICY)
    schema = client.get("/api/schema/?format=json").json()
    documented = {(path, method) for path, item in schema["paths"].items() for method in item}
    listed = {("/api/" + route.replace("<int:", "{").replace("<str:", "{").replace(">", "}"), method)
              for route, method in POLICY}  # fmt: skip
    assert documented <= listed, documented - listed


@pytest.fixture
def world(reading_session, assignment, image, reader, other_reader):
    """One object of every kind, and a user of every role."""
    users = {"owner": reader, "other_reader": other_reader}
    for role in ("lead", "curator", "engineer", "admin"):
        users[role] = user_create(username=f"matrix-{role}", password=f"{role}-pass-123", roles=[role])
    # the read is submitted, so that its reader may see the model's output (a plain project shows it then)
    report_submit(session=reading_session, reader=reader, findings="Clear.", impression="", labels={})
    dataset = dataset_create(name="matrix")
    version = dataset_version_freeze(dataset=dataset, seed=0)
    values = {
        "assignment_id": assignment.pk,
        "session_id": reading_session.pk,
        "image_id": image.pk,
        "job_id": import_job_create(sources=["/nonexistent"], enqueue=False).pk,
        "cohort_id": cohort_create(name="matrix").pk,
        "dataset_id": dataset.pk,
        "version_id": version.pk,
        "reader_study_id": study_create(
            lead=users["lead"],
            name="matrix",
            arms=[{"name": "A", "mode": "unaided"}],
            reader_ids=[reader.pk],
            dataset_version_id=version.pk,
        ).pk,  # fmt: skip
        "study_id": image.study_id,
        "study_uid": image.study.study_uid,
        "series_uid": series_uid_of(image),
        "sop_uid": image.sop_uid,
        "project_id": assignment.project_id,
        "run_id": TrainingRun.objects.create(name="matrix", data_spec="phantoms:4").pk,
        "loop_id": 999999,  # none: every role gets 404 or its refusal
        "prediction_id": 999999,
        "evaluation_id": 999999,
        "token_id": token_create(user=reader, scopes=["api:read"], days=1)[0].pk,
        "frames": "1",
        "frame": 1,
        "figure": "roc",
        "fmt": "png",
    }
    return users, values


def _url(route: str, values: dict) -> str:
    url = route
    if route.startswith("reader-studies/"):  # a reader study (a reading project), not an imaging study
        url = url.replace("<int:study_id>", str(values["reader_study_id"]))
    for name, value in values.items():
        for kind in ("int", "str"):
            url = url.replace(f"<{kind}:{name}>", str(value))
    assert "<" not in url, url
    return f"/api/{url}"


def test_every_role_gets_exactly_what_the_policy_allows(world):
    users, values = world
    wrong = []
    for (route, method), allowed in sorted(POLICY.items()):
        url = _url(route, values)
        for role in ROLES:
            client = APIClient()
            if role != "anonymous":
                client.force_authenticate(users[role])
            response = getattr(client, method)(url, {}, format="json") if method != "get" else client.get(url)
            if hasattr(response, "streaming_content"):
                b"".join(response.streaming_content)
            refused = response.status_code in {401, 403, 404} if role not in allowed else None
            if response.status_code >= 500:
                wrong.append(f"{method.upper()} {url} as {role}: server error {response.status_code}")
            elif role in allowed and response.status_code in {401, 403}:
                wrong.append(
                    f"{method.upper()} {url} as {role}: refused ({response.status_code}) but allowed"
                )
            elif refused is False:
                wrong.append(
                    f"{method.upper()} {url} as {role}: got {response.status_code}, should be refused"
                )
    assert wrong == []
