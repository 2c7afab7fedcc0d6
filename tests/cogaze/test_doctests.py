"""The examples in cogaze docstrings run and hold; a listed module without examples fails."""

from __future__ import annotations

import pytest

from tests.doctest_runner import REPO_ROOT, modules_with_examples, run_doctests

MODULES = [
    "cogaze.config",
    "cogaze.downstream.readers",
    "cogaze.evaluate.metrics",
    "cogaze.labels",
    "cogaze.losses",
]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    run_doctests(name)


def test_every_cogaze_module_with_examples_is_listed():
    assert modules_with_examples(REPO_ROOT / "cogaze", "cogaze") == sorted(MODULES)
