"""Inference for one study at a time: the class the platform calls.

>>> # predictor = Predictor.from_checkpoint("runs/tiny", device="cpu")
>>> # p = predictor.predict(image, view_position="PA", context="[INDICATION] cough")
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from cogaze.config import VIEW_POSITIONS, CogazeConfig
from cogaze.data.collate import resize_image
from cogaze.errors import InputError
from cogaze.labels import OBSERVATIONS
from cogaze.model import CogazeModel
from cogaze.vision import view_index


@dataclass
class Prediction:
    """The model's output for one image."""

    probabilities: dict[str, float]  # the 14 CheXpert observations -> probability in [0, 1]
    findings: str  # generated findings ("" when the decoder is disabled)
    attention: np.ndarray  # float32 (H, W), same shape as the input image, sums to 1
    embedding: np.ndarray  # float32 (dim,), L2-normalised image embedding

    def to_dict(self) -> dict:
        """JSON-able dict (the attention map as nested lists)."""
        return {
            "probabilities": self.probabilities,
            "findings": self.findings,
            "attention_shape": list(self.attention.shape),
            "attention": self.attention.tolist(),
            "embedding": self.embedding.tolist(),
        }


def check_image(image: np.ndarray, min_side: int) -> np.ndarray:
    """Validate a grayscale image (H, W) or (H, W, 1) with values in [0, 1]; returns float32 (H, W).

    Raises
    ------
    InputError
        Naming ``image``: wrong type, channel count, size, non-finite values or values outside [0, 1].
    """
    if not isinstance(image, np.ndarray):
        raise InputError(f"image: expected a numpy array, got {type(image).__name__}")
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    if image.ndim == 3:
        raise InputError(
            f"image: expected one grayscale channel (H, W), got {image.shape[-1]} channels {image.shape}"
        )
    if image.ndim != 2:
        raise InputError(f"image: expected a 2-D array (H, W), got shape {image.shape}")
    if min(image.shape) < min_side:
        raise InputError(f"image: shape {image.shape} is smaller than one patch ({min_side} px)")
    image = image.astype(np.float32, copy=False)
    if not np.isfinite(image).all():
        raise InputError("image: contains NaN or infinite values")
    if image.min() < 0.0 or image.max() > 1.0:
        raise InputError(f"image: values must lie in [0, 1], got [{image.min():.3g}, {image.max():.3g}]")
    return image


class Predictor:
    """A trained CoGaze model ready for single-study inference."""

    def __init__(self, model: CogazeModel, device: str | torch.device = "cpu") -> None:
        self.device = torch.device(device)
        self.model = model.to(self.device).eval()
        self.config: CogazeConfig = model.config

    @classmethod
    def from_checkpoint(cls, path: str | Path, device: str = "cpu") -> Predictor:
        """Load a checkpoint file (or a run folder holding ``checkpoint.pt``).

        The network is rebuilt from the checkpoint alone (its ``architecture``: backbone configs and the
        tokenizer's vocabulary), so neither the pretrained snapshot folders nor a hub are read.
        """
        from cogaze.train.checkpoint import load_checkpoint

        state = load_checkpoint(path)
        model = CogazeModel(state["config_obj"], architecture=state.get("architecture"))
        model.load_state_dict(state["model"])
        return cls(model, device)

    @torch.no_grad()
    def predict(
        self,
        image: np.ndarray,
        *,
        view_position: str = "PA",
        context: str = "",
        generate: bool = True,
    ) -> Prediction:
        """Predict one image.

        Parameters
        ----------
        image : np.ndarray
            float32 (H, W) grayscale in [0, 1] (any size; resized to the model input).
        view_position : str
            DICOM ViewPosition (PA, AP, LATERAL, LL; anything else counts as OTHER).
        context : str
            Clinical context, plain text or with ``[INDICATION]`` / ``[HISTORY]`` markers; "" for none.
        generate : bool
            Also generate findings text (beam search).
        """
        image = check_image(image, self.config.vision.patch_size)
        if not isinstance(context, str):
            raise InputError(f"context: expected a string ('' for none), got {type(context).__name__}")
        if not isinstance(view_position, str):
            raise InputError(f"view_position: expected one of {VIEW_POSITIONS}, got {view_position!r}")
        x = resize_image(image, self.config.vision.image_size)[None].to(self.device)  # (1, 1, S, S)
        views = torch.tensor([view_index(view_position)], device=self.device)
        enc = self.model.encode_image(x, views, [context], return_attention=True)
        probs = torch.sigmoid(enc.image_logits[0]).float().cpu().numpy()
        g = self.config.vision.grid
        att = enc.attention[0].float().reshape(1, 1, g, g)
        att = F.interpolate(att, size=image.shape, mode="bilinear", align_corners=False)[0, 0].clamp_min(0)
        att = (att / att.sum()).cpu().numpy().astype(np.float32)
        findings = self.model.generate(enc)[0] if generate else ""
        emb = F.normalize(enc.image_embeds[0].float(), dim=-1).cpu().numpy().astype(np.float32)
        return Prediction(
            probabilities={o: float(p) for o, p in zip(OBSERVATIONS, probs, strict=True)},
            findings=findings,
            attention=att,
            embedding=emb,
        )
