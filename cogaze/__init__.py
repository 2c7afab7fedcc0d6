"""cogaze: the CoGaze context- and gaze-guided chest X-ray vision-language model, in plain PyTorch.

Model (:mod:`cogaze.model`, losses in :mod:`cogaze.losses`), data (:mod:`cogaze.data`), training
(:mod:`cogaze.train`), evaluation (:mod:`cogaze.evaluate`) and inference (:mod:`cogaze.infer`) are separate
modules; none imports Django. Heavy submodules are imported lazily.
"""

from cogaze.config import CogazeConfig, available_presets, load_config
from cogaze.errors import (
    CheckpointError,
    CogazeError,
    ConfigError,
    DataError,
    InputError,
    NonFiniteLossError,
)
from cogaze.labels import OBSERVATIONS, LabelState

__version__ = "0.1.0"

__all__ = [
    "CogazeConfig",
    "load_config",
    "available_presets",
    "CogazeError",
    "ConfigError",
    "DataError",
    "InputError",
    "CheckpointError",
    "NonFiniteLossError",
    "OBSERVATIONS",
    "LabelState",
]
