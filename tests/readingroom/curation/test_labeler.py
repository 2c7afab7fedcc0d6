"""The rule-based CheXpert labeler: the sample reports' expected labels, and written sentences."""

from __future__ import annotations

import csv

import pytest

from readingroom.curation.labeler import OBSERVATIONS, report_label, report_mentions, report_sections
from readingroom.reading.models import OBSERVATIONS as READING_OBSERVATIONS
from tests.conftest import shared_data

_STATES = {"1.0": "present", "0.0": "absent", "-1.0": "uncertain", "": "not_mentioned"}


def test_observations_match_the_reading_app():
    assert OBSERVATIONS == READING_OBSERVATIONS


def test_sample_reports_get_the_expected_labels():
    folder = shared_data("chexpert_labeler_rules")
    with (folder / "labeled_reports.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 4
    wrong = []
    for row in rows:
        got = report_label(row["Reports"])
        for obs in OBSERVATIONS:
            if got[obs] != _STATES[row[obs]]:
                wrong.append((row["Reports"][:30], obs, row[obs], got[obs]))
    assert wrong == []


@pytest.mark.parametrize(
    ("text", "observation", "state"),
    [
        ("There is a small right pneumothorax.", "Pneumothorax", "present"),
        ("No pneumothorax.", "Pneumothorax", "absent"),
        ("Pneumothorax has resolved.", "Pneumothorax", "absent"),
        ("Pneumonia cannot be excluded.", "Pneumonia", "uncertain"),
        ("Findings may represent early pneumonia.", "Pneumonia", "uncertain"),
        ("The heart is not enlarged.", "Cardiomegaly", "absent"),
        ("Moderate cardiomegaly, no effusion.", "Pleural Effusion", "absent"),
        ("Moderate cardiomegaly, no effusion.", "Cardiomegaly", "present"),
        ("Small pericardial effusion.", "Pleural Effusion", "not_mentioned"),
        ("Endotracheal tube terminates 4 cm above the carina.", "Support Devices", "present"),
        ("Right rib fracture.", "Fracture", "present"),
        ("Lungs are clear.", "No Finding", "present"),
    ],
)
def test_sentences(text, observation, state):
    assert report_label(text)[observation] == state


def test_support_devices_do_not_cancel_no_finding_and_mentions_have_spans():
    text = "Left PICC in place. Lungs are clear."
    assert report_label(text)["No Finding"] == "present"
    (mention,) = report_mentions(text)
    assert text[mention.start : mention.end] == "PICC"


def test_report_sections():
    text = "INDICATION: Cough.\nHISTORY: Smoker.\nFINDINGS: Small effusion.\nIMPRESSION: Effusion."
    assert report_sections(text) == {
        "indication": "Cough.", "history": "Smoker.", "findings": "Small effusion.", "impression": "Effusion."
    }  # fmt: skip
    assert report_sections("Heart normal.")["findings"] == "Heart normal."
