"""Run the examples in every gaze_capture docstring."""

import doctest
import importlib
import pkgutil

import pytest

import gaze_capture

MODULES = [
    "gaze_capture",
    *sorted(m.name for m in pkgutil.walk_packages(gaze_capture.__path__, "gaze_capture.")),
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    mod = importlib.import_module(name)
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
