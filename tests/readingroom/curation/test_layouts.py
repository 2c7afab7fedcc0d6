"""Importing MIMIC-CXR-JPG-style and IU X-ray-style folders: images, reports and labels attached."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from PIL import Image as PILImage

from readingroom.curation.models import StudyReport
from readingroom.curation.selectors import study_labels
from readingroom.studies.ingest import import_job_create, import_job_run
from readingroom.studies.models import Image, Study

pytestmark = pytest.mark.django_db


def _csv(path, header, rows):
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)


def _image(path, value):
    path.parent.mkdir(parents=True, exist_ok=True)
    PILImage.fromarray(np.full((24, 20), value, dtype=np.uint8)).save(path)


def _run(root, layout):
    job = import_job_create(sources=[str(root)], options={"layout": layout}, enqueue=False)
    return import_job_run(job_id=job.pk, workers=1)


def test_mimic_cxr_jpg_folder(tmp_path):
    root = tmp_path / "mimic"
    study_dir = root / "files" / "p10" / "p10000032"
    _image(study_dir / "s50414267" / "d1.jpg", 60)
    _image(study_dir / "s50414267" / "d2.jpg", 90)
    _image(study_dir / "s53189527" / "d3.jpg", 120)
    (study_dir / "s50414267.txt").write_text("FINDINGS: No pleural effusion.\nIMPRESSION: Normal chest.")
    (study_dir / "s53189527.txt").write_text("FINDINGS: Small left effusion.")
    _csv(root / "mimic-cxr-2.0.0-metadata.csv", ["dicom_id", "subject_id", "study_id", "ViewPosition"],
         [["d1", "10000032", "50414267", "PA"], ["d2", "10000032", "50414267", "LATERAL"],
          ["d3", "10000032", "53189527", "AP"], ["missing", "10000032", "53189527", "AP"]])  # fmt: skip
    _csv(root / "mimic-cxr-2.0.0-chexpert.csv", ["subject_id", "study_id", "Pleural Effusion", "Cardiomegaly"],
         [["10000032", "53189527", "1.0", ""]])  # fmt: skip
    job = _run(root, "mimic-cxr-jpg")
    assert (job.imported, job.failed) == (3, 1) and "missing.jpg" in job.errors[0]["error"]
    assert Study.objects.count() == 2 and Study.objects.values("patient").distinct().count() == 1
    first = Image.objects.get(view_position="LATERAL").study
    assert StudyReport.objects.get(study=first).impression == "Normal chest."
    assert study_labels(study=first)["Pleural Effusion"] == "absent"  # from the labeler
    second = Image.objects.get(view_position="AP").study
    assert study_labels(study=second)["Pleural Effusion"] == "present"  # from the label file
    assert Image.objects.get(view_position="PA").dataset_image_id == "mimic:d1"  # for matching gaze files


def test_iu_xray_folder(tmp_path):
    root = tmp_path / "iu"
    _image(root / "images" / "images_normalized" / "1_IM-0001-4001.dcm.png", 50)
    _image(root / "images" / "images_normalized" / "1_IM-0001-3001.dcm.png", 70)
    _csv(root / "indiana_projections.csv", ["uid", "filename", "projection"],
         [["1", "1_IM-0001-4001.dcm.png", "Frontal"], ["1", "1_IM-0001-3001.dcm.png", "Lateral"]])  # fmt: skip
    _csv(root / "indiana_reports.csv", ["uid", "MeSH", "Problems", "image", "indication", "comparison", "findings",
                                        "impression"],
         [["1", "normal", "normal", "Xray Chest PA and Lateral", "Positive TB test", "None.",
           "The cardiac silhouette and mediastinum size are within normal limits.", "Normal chest x-XXXX."]])  # fmt: skip
    job = _run(root, "iu-xray")
    assert job.imported == 2 and job.failed == 0
    study = Study.objects.get()
    assert study.indication == "Positive TB test"
    assert sorted(study.images.values_list("view_position", flat=True)) == ["FRONTAL", "LATERAL"]
    assert study_labels(study=study)["No Finding"] == "present"


def test_layout_with_missing_columns_is_an_error(tmp_path):
    (tmp_path / "indiana_projections.csv").write_text("uid,file\n1,x.png\n")
    job = _run(tmp_path, "iu-xray")
    assert job.failed == 1 and "missing column(s) filename, projection" in job.errors[0]["error"]
