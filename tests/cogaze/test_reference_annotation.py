"""The reader of the CoGaze paper's annotation JSON, on files written in exactly that layout."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from cogaze.data import MimicCogazeDataset, ReferenceAnnotationDataset, open_dataset
from cogaze.errors import DataError
from cogaze.labels import OBSERVATION_INDEX, LabelState

IMAGE = "files/p10/p10000032/s50414267/02aa804e-bde0afdd-112c0b34-7bc16630-4e384014.jpg"


def _rendered_heatmap(path, box):
    """A heatmap as the reference renders it: a uniform background colour, a brighter blob."""
    rgb = np.zeros((40, 40, 3), np.uint8)
    rgb[...] = (10, 20, 120)  # background (dark blue)
    y0, y1, x0, x1 = box
    rgb[y0:y1, x0:x1] = (250, 240, 30)  # the gazed region
    Image.fromarray(rgb).save(path, quality=100)


def _entry(**over):
    entry = {
        "id": "02aa804e-bde0afdd-112c0b34-7bc16630-4e384014",
        "subject_id": 10000032,
        "study_id": 50414267,
        "anchor_scan": {"image_path": [IMAGE], "view_position": ["AP"]},
        "findings": "The heart is enlarged. There is a small left effusion.",
        "indication_pure": "dyspnea",
        "history_pure": "chf",
        # CheXbert order and coding: Cardiomegaly positive, Edema uncertain, Pleural Effusion negative
        "disease_labels": [0, 1, 0, 0, 3, 0, 0, 0, 0, 2, 0, 0, 0, 0],
        "sentence_gaze_heatmap": {
            "image_dir": "gaze/02aa804e",
            "transcript_full_text": "heart enlarged. effusion.",
        },
        "findings_factual_serialization": ["enlarged heart", "small left effusion"],
        "impression": "Cardiomegaly.",
        "prior_study": None,
    }
    entry.update(over)
    return entry


@pytest.fixture
def reference(tmp_path):
    img = tmp_path / "mimic" / IMAGE
    img.parent.mkdir(parents=True)
    Image.fromarray((np.linspace(0, 1, 48 * 40).reshape(48, 40) * 255).astype(np.uint8)).save(img)
    gaze = tmp_path / "eyegaze" / "gaze" / "02aa804e"
    gaze.mkdir(parents=True)
    lookup = {"0": "heart enlarged.", "1": "effusion.", "full_text": "heart enlarged. effusion."}
    (gaze / "sentence-heatmap-lookup.json").write_text(json.dumps(lookup))
    _rendered_heatmap(gaze / "0_heatmap.jpg", (10, 20, 10, 20))
    _rendered_heatmap(gaze / "1_heatmap.jpg", (25, 35, 25, 35))
    _rendered_heatmap(gaze / "report_heatmap.jpg", (10, 35, 10, 35))
    ann = {"train": [_entry()], "val": [], "test": [_entry(findings_factual_serialization=[])]}
    (tmp_path / "ann.json").write_text(json.dumps(ann))
    return tmp_path


def test_reads_context_view_labels_in_the_reference_order_and_per_sentence_gaze(reference):
    ds = ReferenceAnnotationDataset(
        reference / "mimic", reference / "ann.json", gaze_root=reference / "eyegaze"
    )
    s = ds[0].validate()
    assert s.image.shape == (48, 40) and s.view_position == "AP" and s.image_id.startswith("02aa804e")
    assert s.context == "[INDICATION] dyspnea [HISTORY] chf" and s.study_id == "50414267"
    assert s.labels[OBSERVATION_INDEX["Cardiomegaly"]] == LabelState.PRESENT
    assert s.labels[OBSERVATION_INDEX["Edema"]] == LabelState.UNCERTAIN
    assert s.labels[OBSERVATION_INDEX["Pleural Effusion"]] == LabelState.ABSENT
    assert s.labels[OBSERVATION_INDEX["Enlarged Cardiomediastinum"]] == LabelState.NOT_MENTIONED
    assert s.labels[OBSERVATION_INDEX["No Finding"]] == LabelState.NOT_MENTIONED
    # sentences of the lookup in order, then the whole transcript (the report-level row)
    assert s.sentences == ["heart enlarged.", "effusion.", "heart enlarged. effusion."]
    assert s.heatmaps.shape == (3, 40, 40)
    assert np.allclose(s.heatmaps.reshape(3, -1).sum(1), 1.0, atol=1e-5)
    # the background colour is removed: the mass lies in the rendered blob
    assert float(s.heatmaps[0, 9:21, 9:21].sum()) > 0.99 and float(s.heatmaps[1, 24:36, 24:36].sum()) > 0.99
    # the test split's entry has no factual findings: skipped, as the reference's loaders do
    test = ReferenceAnnotationDataset(reference / "mimic", reference / "ann.json", split="test",
                                      gaze_root=reference / "eyegaze")  # fmt: skip
    assert len(test) == 0 and test.skipped == 1
    spec = f"reference:{reference / 'mimic'}:{reference / 'ann.json'}:{reference / 'eyegaze'}"
    assert len(open_dataset(spec)) == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"view": "PA"}, r"unknown field\(s\) \['view'\]"),
        ({"indication_pure": None}, None),
        ({"disease_labels": [0] * 13}, r"disease_labels: expected 14 codes"),
        ({"disease_labels": [0] * 13 + [4]}, r"disease_labels: expected 14 codes"),
        ({"anchor_scan": {"image_path": [IMAGE]}}, r"anchor_scan: expected fields"),
        ({"sentence_gaze_heatmap": {"image_dir": "x"}}, r"sentence_gaze_heatmap: expected null or fields"),
    ],
)
def test_unknown_or_bad_fields_are_named(reference, change, message):
    entry = _entry(**change)
    if message is None:  # a missing field
        del entry["indication_pure"]
        message = r"missing field\(s\) \['indication_pure'\]"
    (reference / "bad.json").write_text(json.dumps({"train": [entry]}))
    with pytest.raises(DataError, match=message):
        ReferenceAnnotationDataset(reference / "mimic", reference / "bad.json", gaze_root=reference)


def test_gaze_without_a_gaze_root_and_unknown_splits_are_refused(reference):
    with pytest.raises(DataError, match="no gaze root"):
        ReferenceAnnotationDataset(reference / "mimic", reference / "ann.json")
    (reference / "splits.json").write_text(json.dumps({"train": [], "validate": []}))
    with pytest.raises(DataError, match=r"unknown split\(s\) \['validate'\]"):
        ReferenceAnnotationDataset(reference / "mimic", reference / "splits.json")


def test_the_mimic_reader_refuses_reference_entries_by_name(reference):
    with pytest.raises(DataError, match=r"\['anchor_scan', 'indication_pure'.*reference:"):
        MimicCogazeDataset(reference / "mimic", reference / "ann.json", split="train")
