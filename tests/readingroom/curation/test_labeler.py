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


@pytest.mark.parametrize(
    "text",
    [
        "Right lower lobe pneumonia. Possible left basilar pneumonia.",
        "Possible left basilar pneumonia. Right lower lobe pneumonia.",
        "No pneumonia on the left; right lower lobe pneumonia, possibly with early pneumonia at the left base.",
    ],
)
def test_a_present_mention_outranks_an_uncertain_one_in_either_order(text):
    states = {m.state for m in report_mentions(text) if m.observation == "Pneumonia"}
    assert {"present", "uncertain"} <= states  # the sentence set really has both
    assert report_label(text)["Pneumonia"] == "present"


@pytest.mark.parametrize(
    "text",
    [
        "No effusion on the right. Possible small left effusion.",
        "Possible small left effusion. No right effusion.",
    ],
)
def test_an_uncertain_mention_outranks_an_absent_one(text):
    assert report_label(text)["Pleural Effusion"] == "uncertain"


def test_a_negation_that_opens_a_list_reaches_every_item():
    text = "No focal consolidation, suspicious opacity, pleural effusion, or pneumothorax."
    got = report_label(text)
    for obs in ("Consolidation", "Lung Opacity", "Pleural Effusion", "Pneumothorax"):
        assert got[obs] == "absent", obs
    assert got["No Finding"] == "present"
    got = report_label("No pneumothorax, pleural effusion, nor questionable nodule.")
    assert (got["Pneumothorax"], got["Pleural Effusion"], got["Lung Lesion"]) == ("absent",) * 3


@pytest.mark.parametrize(
    ("text", "observation", "state"),
    [
        ("There is no pleural line to suggest pneumothorax.", "Pneumothorax", "absent"),
        ("No findings suggestive of pneumonia.", "Pneumonia", "absent"),
        ("Nothing to indicate edema.", "Edema", "absent"),
        # an uncertainty cue that is not part of the negated list keeps its own scope
        ("No pneumothorax, possible small left effusion.", "Pleural Effusion", "uncertain"),
        ("No pneumothorax or effusion, could represent atelectasis or pneumonia.", "Pneumonia", "uncertain"),
        ("Findings suggest pneumonia.", "Pneumonia", "uncertain"),
        # parentheses: a cue before them reaches inside; a cue inside does not reach past them
        ("No acute process (pneumonia, edema, or effusion).", "Edema", "absent"),
        ("Stable cardiomegaly (no pleural effusion) and mild pulmonary edema.", "Edema", "present"),
        ("Stable cardiomegaly (no pleural effusion) and mild pulmonary edema.", "Pleural Effusion", "absent"),
        ("Possible pneumonia (no pneumothorax) at the right base.", "Pneumothorax", "absent"),
        ("Possible pneumonia (no pneumothorax) at the right base.", "Pneumonia", "uncertain"),
    ],
)
def test_negation_and_uncertainty_scopes(text, observation, state):
    assert report_label(text)[observation] == state


@pytest.mark.parametrize(
    "text",
    [
        "Left chest wall pacemaker with leads in the right atrium and right ventricle.",
        "Dual-chamber pacemaker leads are unchanged.",
        "ICD lead terminates in the right ventricle.",
        "Left-sided AICD in place.",
        "Vagal nerve stimulator overlies the left neck.",
        "Spinal cord stimulator leads project over the thoracic spine.",
        "VP shunt tubing courses along the right chest wall.",
        "Ventriculoperitoneal shunt catheter is seen.",
        "ECG leads overlie the chest.",
        "Monitoring leads project over the chest.",
        "Telemetry leads are noted.",
        "Embolization coils in the left upper quadrant.",
        "Intra-aortic balloon pump tip at the level of the aortic knob.",
        "Left ventricular assist device in place.",
        "Right internal jugular cannula.",
        "Mediport in the right chest wall.",
        "Right pigtail drain at the base.",
        "Prosthetic aortic valve.",
        "Loop recorder over the left chest.",
    ],
)
def test_device_vocabulary(text):
    got = report_label(text)
    assert got["Support Devices"] == "present", text
    assert got["No Finding"] == "present", text


def test_device_words_in_other_senses_are_not_devices():
    for text in ("This leads to the conclusion that the lungs are clear.", "Coiled bowel loops below."):
        assert report_label(text)["Support Devices"] == "not_mentioned", text
    assert report_label("No pacemaker leads.")["Support Devices"] == "absent"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Possible early pneumonia, edema, or small pleural effusion.",
            {"Pneumonia": "uncertain", "Edema": "uncertain", "Pleural Effusion": "uncertain"},
        ),
        (
            "Findings may represent atelectasis (or consolidation) and mild edema.",
            {"Atelectasis": "uncertain", "Consolidation": "uncertain", "Edema": "uncertain"},
        ),
        (
            "Right basilar opacity (possibly atelectasis) without pneumothorax.",
            {"Lung Opacity": "present", "Atelectasis": "uncertain", "Pneumothorax": "absent"},
        ),
    ],
)
def test_uncertainty_scopes_over_lists_and_parentheses(text, expected):
    got = report_label(text)
    assert {obs: got[obs] for obs in expected} == expected


@pytest.mark.parametrize(
    ("text", "observation", "state"),
    [
        ("No interval change in the moderate left pleural effusion.", "Pleural Effusion", "present"),
        ("No significant change in bilateral opacities.", "Lung Opacity", "present"),
        ("No increase in the size of the right pneumothorax.", "Pneumothorax", "present"),
        ("No change, no pneumothorax.", "Pneumothorax", "absent"),
        ("No new consolidation.", "Consolidation", "absent"),
    ],
)
def test_no_change_is_not_a_negation_of_what_follows(text, observation, state):
    assert report_label(text)[observation] == state
