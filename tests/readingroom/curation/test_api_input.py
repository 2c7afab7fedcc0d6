"""Malformed input to the curation API is a 400 naming the field, never a server error."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from readingroom.core.services import user_create
from readingroom.curation.models import Cohort, DatasetVersion
from readingroom.curation.selectors import cohort_filters_clean
from readingroom.curation.serializers import CohortInput
from readingroom.curation.services import dataset_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(db) -> APIClient:
    client = APIClient()
    client.force_authenticate(user_create(username="curator", password="curator-pass-123", roles=["curator"]))
    return client


@pytest.mark.parametrize(
    "filters",
    [
        [1],
        True,
        "ab",
        7,
        {"labels": {"Cardiomegaly": [[1]]}},
        {"labels": [1]},
        {"labels": {"Cardiomegaly": "present"}},
        {"view_positions": ["P\x00A"]},
        {"modalities": "CR"},
        {"sexes": [None]},
        {"reading_status": ["read"]},
        {"has_gaze": "yes"},
        {"Nonsense": 1},
    ],
)
def test_malformed_cohort_filters_are_a_400_naming_the_field(api, filters):
    response = api.post("/api/cohorts/", {"name": "c", "filters": filters}, format="json")
    assert response.status_code == 400, response.content
    assert "filters" in response.json(), response.json()
    assert not Cohort.objects.exists()


def test_a_nul_in_the_cohort_name_is_a_400(api):
    response = api.post("/api/cohorts/", {"name": "c\x00", "filters": {}}, format="json")
    assert response.status_code == 400 and "name" in response.json()


def test_good_filters_are_cleaned_and_stored(api):
    response = api.post("/api/cohorts/", {"name": "pa", "filters": {"view_positions": ["pa"], "labels": {
        "Cardiomegaly": ["present", "uncertain"]}}}, format="json")  # fmt: skip
    assert response.status_code == 201, response.json()
    assert response.json()["filters"] == {
        "view_positions": ["PA"], "labels": {"Cardiomegaly": ["present", "uncertain"]}
    }  # fmt: skip


@pytest.mark.parametrize("seed", [2**63, -(2**63) - 1, 10**30, "x", 1.5])
def test_a_seed_out_of_range_is_a_400_naming_the_seed(api, seed):
    dataset = dataset_create(name="d")
    response = api.post(f"/api/datasets/{dataset.pk}/versions/", {"seed": seed}, format="json")
    assert response.status_code == 400, response.content
    assert "seed" in response.json(), response.json()
    assert not DatasetVersion.objects.exists()


@pytest.mark.parametrize(
    "fractions", ['{"train": "x"}', '{"train": 1e400}', '{"train": -1e400}', "[0.5]", '{"train": null}']
)
def test_malformed_split_fractions_are_a_400(api, fractions):
    dataset = dataset_create(name="d")
    response = api.post(f"/api/datasets/{dataset.pk}/versions/", f'{{"split_fractions": {fractions}}}',
                        content_type="application/json")  # fmt: skip
    assert response.status_code == 400, response.content
    assert "split_fractions" in response.json()


def test_readers_may_not_change_labels_or_reports(reader, image):
    client = APIClient()
    client.force_authenticate(reader)
    study = image.study
    patch = client.patch(f"/api/studies/{study.pk}/labels/", {"labels": {"Cardiomegaly": "present"}},
                         format="json")  # fmt: skip
    assert patch.status_code == 403 and "curator" in patch.json()["detail"]
    put = client.put(f"/api/studies/{study.pk}/report/", {"text": "FINDINGS: Normal."}, format="json")
    assert put.status_code == 403
    assert client.get(f"/api/studies/{study.pk}/labels/").status_code == 403
    from readingroom.curation.models import LabelEdit, StudyReport

    assert not LabelEdit.objects.exists() and not StudyReport.objects.exists()


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=12,
)
_KEYS = st.sampled_from(
    ["view_positions", "modalities", "sexes", "labels", "reading_status", "has_gaze", "x"]
)


@settings(max_examples=150, derandomize=True, deadline=None, database=None)
@given(filters=_JSON | st.dictionaries(_KEYS, _JSON | st.dictionaries(st.sampled_from(["Cardiomegaly", "Edema"]),
                                                                      _JSON), max_size=4))  # fmt: skip
def test_any_json_as_cohort_filters_is_cleaned_or_refused_by_field(filters):
    data = CohortInput(data={"name": "c", "filters": filters})
    if data.is_valid():
        assert cohort_filters_clean(data.validated_data["filters"]) == data.validated_data["filters"]
    else:
        assert set(data.errors) == {"filters"}
