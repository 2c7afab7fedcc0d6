"""Cohorts, label edits with history, frozen dataset versions and patient-level splits."""

from __future__ import annotations

import pytest

from readingroom.core.exceptions import Conflict, InvalidInput
from readingroom.curation.models import DatasetVersion, LabelEdit
from readingroom.curation.selectors import cohort_filter_images, study_labels
from readingroom.curation.services import (
    cohort_create,
    dataset_create,
    dataset_version_freeze,
    manifest_sha256,
    study_labels_set,
    study_report_set,
)
from readingroom.curation.splits import patient_splits
from readingroom.studies.services import image_import_dicom
from tests.readingroom.conftest import write_dicom

pytestmark = pytest.mark.django_db


@pytest.fixture
def images(tmp_path):
    out = []
    for i in range(8):
        path = write_dicom(tmp_path / f"i{i}.dcm", rows=16, columns=16, seed=100 + i, PatientID=f"P{i // 2}",
                           PatientSex="M" if i < 4 else "F", ViewPosition="PA" if i % 2 else "AP")  # fmt: skip
        out.append(image_import_dicom(path=path).image)
    return out


def test_patient_splits_are_patient_level_and_seeded():
    keys = [f"k{i}" for i in range(100)]
    fractions = {"train": 0.7, "val": 0.15, "test": 0.15}
    a = patient_splits(keys, seed=3, fractions=fractions)
    assert a == patient_splits(list(reversed(keys)), seed=3, fractions=fractions)
    assert a != patient_splits(keys, seed=4, fractions=fractions)
    counts = {s: list(a.values()).count(s) for s in ("train", "val", "test")}
    assert counts == {"train": 70, "val": 15, "test": 15}


def test_cohort_filters(images):
    assert len(cohort_filter_images(filters={"view_positions": ["pa"]})) == 4
    assert len(cohort_filter_images(filters={"sexes": ["F"], "view_positions": ["AP"]})) == 2
    assert cohort_filter_images(filters={"has_gaze": True}) == []
    assert len(cohort_filter_images(filters={"reading_status": "unread"})) == 8
    study_report_set(study=images[0].study, text="FINDINGS: Large left pleural effusion.")
    hit = cohort_filter_images(filters={"labels": {"Pleural Effusion": ["present"]}})
    assert [i.pk for i in hit] == [images[0].pk]
    with pytest.raises(InvalidInput, match="filters.labels: unknown observation 'Effusion'"):
        cohort_filter_images(filters={"labels": {"Effusion": ["present"]}})
    with pytest.raises(InvalidInput, match="filters: unknown key"):
        cohort_create(name="bad", filters={"colour": ["red"]})


def test_reader_reports_count_as_read_and_give_labels(reading_session, reader, image):
    from readingroom.reading.services import report_submit

    report_submit(session=reading_session, reader=reader, findings="Cardiomegaly.", impression="",
                  labels={"Cardiomegaly": "present"})  # fmt: skip
    assert [i.pk for i in cohort_filter_images(filters={"reading_status": "read"})] == [image.pk]
    assert study_labels(study=image.study)["Cardiomegaly"] == "present"


def test_label_edits_keep_history_and_curator_edits_survive_relabeling(images, reader):
    study = images[0].study
    study_report_set(study=study, text="FINDINGS: No effusion.")
    study_labels_set(study=study, labels={"Pleural Effusion": "present"}, source="curator", user=reader,
                     reason="visible on the lateral view")  # fmt: skip
    study_report_set(study=study, text="FINDINGS: No effusion.")
    assert study_labels(study=study)["Pleural Effusion"] == "present"
    edits = list(LabelEdit.objects.filter(study=study, observation="Pleural Effusion"))
    assert [(e.old_value, e.new_value, e.source) for e in edits] == [
        ("not_mentioned", "absent", "labeler"), ("absent", "present", "curator")
    ]  # fmt: skip
    assert edits[-1].edited_by == reader and "lateral" in edits[-1].reason
    with pytest.raises(InvalidInput, match="labels\\['Cardiomegaly'\\]"):
        study_labels_set(study=study, labels={"Cardiomegaly": "yes"}, source="curator")


def test_frozen_version_is_immutable_hashed_and_split_by_patient(images):
    cohort = cohort_create(name="all PA+AP", filters={"view_positions": ["PA", "AP"]})
    dataset = dataset_create(name="demo", cohort=cohort)
    v1 = dataset_version_freeze(
        dataset=dataset, seed=7, split_fractions={"train": 0.5, "val": 0.25, "test": 0.25}
    )
    assert (v1.number, v1.item_count, v1.tag) == (1, 8, "v1")
    assert v1.manifest_sha256 == manifest_sha256(v1.manifest)
    by_patient: dict[str, set[str]] = {}
    for item in v1.manifest["items"]:
        by_patient.setdefault(item["patient"], set()).add(item["split"])
    assert len(by_patient) == 4 and all(len(s) == 1 for s in by_patient.values())
    assert sorted(s.pop() for s in by_patient.values()) == ["test", "train", "train", "val"]
    v1.notes = "changed"
    with pytest.raises(Conflict, match="frozen"):
        v1.save()
    with pytest.raises(Conflict):
        v1.delete()
    # labels changed after freezing do not change v1; a new version sees them and hashes differently
    study_labels_set(study=images[0].study, labels={"Fracture": "present"}, source="curator")
    v2 = dataset_version_freeze(
        dataset=dataset, seed=7, split_fractions={"train": 0.5, "val": 0.25, "test": 0.25}
    )
    assert v2.number == 2 and v2.manifest_sha256 != DatasetVersion.objects.get(pk=v1.pk).manifest_sha256
    assert DatasetVersion.objects.get(pk=v1.pk).manifest["items"][0]["labels"]["Fracture"] == "not_mentioned"
    assert v1.items.count() == 8
    with pytest.raises(InvalidInput, match="matches no images"):
        dataset_version_freeze(dataset=dataset, filters={"modalities": ["MR"]})
