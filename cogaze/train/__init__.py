"""Training of CoGaze models (kept apart from the model code, which never imports it)."""

from cogaze.train.cache import FeatureCache
from cogaze.train.checkpoint import config_differences, load_checkpoint, save_checkpoint
from cogaze.train.loop import TrainResult, train

__all__ = ["train", "TrainResult", "FeatureCache", "load_checkpoint", "save_checkpoint", "config_differences"]
