"""The examples in cogaze docstrings run and hold; a listed module without examples fails."""

from __future__ import annotations

import doctest
import importlib

import pytest


@pytest.mark.parametrize(
    "name",
    [
        "cogaze.labels",
        "cogaze.losses",
        "cogaze.config",
        "cogaze.evaluate.metrics",
        "cogaze.downstream.readers",
    ],
)
def test_doctests(name):
    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted > 0, f"{name} is listed as having examples but has none"
    assert result.failed == 0
