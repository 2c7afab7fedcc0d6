"""The examples in the platform's docstrings run and hold (they need Django's settings, hence here)."""

from __future__ import annotations

import pytest

from tests.doctest_runner import REPO_ROOT, modules_with_examples, run_doctests

MODULES = [
    "readingroom.analytics.accuracy",
    "readingroom.analytics.agreement",
    "readingroom.analytics.measures",
    "readingroom.analytics.paired",
    "readingroom.analytics.regions",
    "readingroom.core.security",
    "readingroom.curation.exports.transcripts",
    "readingroom.curation.splits",
    "readingroom.learning.report",
    "readingroom.learning.selectors",
    "readingroom.modeling.registry",
    "readingroom.reading.study_services",
    "readingroom.studies.dicomio.deid",
    "readingroom.studies.prepare",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    run_doctests(name)


def test_every_platform_module_with_examples_is_listed():
    assert modules_with_examples(REPO_ROOT / "platform" / "readingroom", "readingroom") == sorted(MODULES)
