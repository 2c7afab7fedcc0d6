"""Run the examples in every gaze_capture docstring.

The modules listed in ``WITH_EXAMPLES`` must keep at least one example: a listed module whose examples were
removed fails (a runner that finds nothing to run would pass silently). Every other module still runs
whatever examples it has.
"""

import doctest
import importlib
import pkgutil

import pytest

import gaze_capture

MODULES = [
    "gaze_capture",
    *sorted(m.name for m in pkgutil.walk_packages(gaze_capture.__path__, "gaze_capture.")),
]
WITH_EXAMPLES = [
    "gaze_capture",
    "gaze_capture.clock",
    "gaze_capture.detection._registry",
    "gaze_capture.detection.adaptive",
    "gaze_capture.detection.idt",
    "gaze_capture.detection.ivt",
    "gaze_capture.evaluation",
    "gaze_capture.geometry",
    "gaze_capture.metrics",
    "gaze_capture.priors",
    "gaze_capture.quality",
    "gaze_capture.samples",
    "gaze_capture.simulate",
    "gaze_capture.transcripts",
]


def _run(name: str) -> doctest.TestResults:
    mod = importlib.import_module(name)
    return doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = _run(name)
    assert result.failed == 0
    if name in WITH_EXAMPLES:
        assert result.attempted > 0, f"{name} is listed as having examples but has none"


def test_listed_modules_exist():
    assert set(WITH_EXAMPLES) <= set(MODULES)
