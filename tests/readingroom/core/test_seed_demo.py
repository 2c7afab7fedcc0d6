"""seed_demo labels its synthetic demo image (the inverted MONOCHROME1 variant) as synthetic."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from readingroom.core.models import User
from tests.conftest import shared_data


@pytest.mark.django_db
def test_the_synthetic_demo_image_is_labelled_on_the_worklist():
    shared_data("cxr_dicom_samples/Fake_MONOHR1.dcm")  # skips where the shared data is absent
    call_command("seed_demo", stdout=None)
    client = APIClient()
    client.force_authenticate(User.objects.get(username="reader1"))
    worklist = client.get("/api/worklist/").json()
    titles = [item["study"]["title"] for item in worklist]
    # one synthetic study (on the plain demo worklist and in each arm of the demo reader study)
    synthetic = {item["study"]["id"]: item["study"]["title"] for item in worklist
                 if "synthetic" in item["study"]["title"].lower()}  # fmt: skip
    assert len(synthetic) == 1, titles
    synthetic = list(synthetic.values())
    assert "MONOCHROME1" in synthetic[0]
