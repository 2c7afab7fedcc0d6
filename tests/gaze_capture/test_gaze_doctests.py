"""Run the examples in gaze_capture's docstrings; a listed module without examples fails."""

from __future__ import annotations

import pytest

from tests.doctest_runner import REPO_ROOT, modules_with_examples, run_doctests

MODULES = [
    "gaze_capture",
    "gaze_capture.clock",
    "gaze_capture.detection._registry",
    "gaze_capture.detection.adaptive",
    "gaze_capture.detection.avt",
    "gaze_capture.detection.idt",
    "gaze_capture.detection.ivt",
    "gaze_capture.evaluation",
    "gaze_capture.geometry",
    "gaze_capture.metrics",
    "gaze_capture.priors",
    "gaze_capture.quality",
    "gaze_capture.samples",
    "gaze_capture.simulate",
    "gaze_capture.simulate_validation",
    "gaze_capture.transcripts",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    run_doctests(name)


def test_every_module_with_examples_is_listed():
    assert modules_with_examples(REPO_ROOT / "gaze_capture", "gaze_capture") == sorted(MODULES)
