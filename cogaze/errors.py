"""The one exception hierarchy of :mod:`cogaze`.

Every error that :mod:`cogaze` raises on purpose derives from :class:`CogazeError`, and its message names
the bad field, file or index, so a caller (a notebook, the CLI, the platform's services) can catch one type.
"""

from __future__ import annotations


class CogazeError(Exception):
    """Base class of every error raised on purpose by :mod:`cogaze`."""


class ConfigError(CogazeError, ValueError):
    """A configuration field has a bad value, or a preset is unknown."""


class DataError(CogazeError, ValueError):
    """A sample, a data file or a batch is malformed (the message names the field and the study)."""


class InputError(CogazeError, ValueError):
    """An input given to the model or the predictor has the wrong shape, type or range."""


class CheckpointError(CogazeError, RuntimeError):
    """A checkpoint is missing, unreadable, or was written for another configuration."""


class NonFiniteLossError(CogazeError, FloatingPointError):
    """A loss part became NaN or infinite during training (the message names the part and the step)."""
