"""The learning tests share the modeling tests' tiny checkpoints."""

from tests.readingroom.modeling.conftest import tiny_checkpoints  # noqa: F401
