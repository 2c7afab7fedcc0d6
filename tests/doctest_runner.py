"""Running the examples in docstrings: every listed module must have examples, and every module with
examples must be listed."""

from __future__ import annotations

import doctest
import importlib
import re
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
# An example line: ">>> " followed by code (doctest skips examples that are only a comment).
_EXAMPLE = re.compile(r"^\s*>>> (?!\s*#)", re.MULTILINE)


def run_doctests(name: str) -> None:
    """Run the docstring examples of module ``name``; fail when it has none or one of them fails."""
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{name} is listed for doctests but has no examples"
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples of {name} failed"


def modules_with_examples(package_dir: Path, package: str) -> list[str]:
    """Dotted names of the modules under ``package_dir`` whose source holds a docstring example."""
    names = []
    for path in sorted(package_dir.rglob("*.py")):
        if _EXAMPLE.search(path.read_text(encoding="utf-8")):
            parts = path.relative_to(package_dir).with_suffix("").parts
            parts = parts[:-1] if parts[-1] == "__init__" else parts
            names.append(".".join((package, *parts)))
    return names
