"""Positive / negative prompts for zero-shot classification of the 14 observations."""

from __future__ import annotations

from cogaze.labels import OBSERVATIONS

_POSITIVE = {
    "No Finding": "No acute cardiopulmonary abnormality. The lungs are clear.",
    "Enlarged Cardiomediastinum": "The cardiomediastinal silhouette is enlarged.",
    "Cardiomegaly": "The heart is enlarged.",
    "Lung Opacity": "There is an airspace opacity in the lung.",
    "Lung Lesion": "There is a nodule in the lung.",
    "Edema": "There is pulmonary edema.",
    "Consolidation": "There is consolidation in the lung.",
    "Pneumonia": "Findings are consistent with pneumonia.",
    "Atelectasis": "There is atelectasis.",
    "Pneumothorax": "There is a pneumothorax.",
    "Pleural Effusion": "There is a pleural effusion.",
    "Pleural Other": "There is pleural thickening.",
    "Fracture": "There is a rib fracture.",
    "Support Devices": "A support device is in place.",
}
_NEGATIVE = {
    "No Finding": "There is an abnormal finding.",
    "Enlarged Cardiomediastinum": "The cardiomediastinal silhouette is normal.",
    "Cardiomegaly": "The heart size is normal.",
    "Lung Opacity": "The lungs are clear without opacity.",
    "Lung Lesion": "No focal nodule or mass.",
    "Edema": "No pulmonary edema.",
    "Consolidation": "No focal consolidation.",
    "Pneumonia": "No pneumonia.",
    "Atelectasis": "No atelectasis.",
    "Pneumothorax": "No pneumothorax.",
    "Pleural Effusion": "No pleural effusion.",
    "Pleural Other": "No pleural abnormality.",
    "Fracture": "No fracture.",
    "Support Devices": "No support devices are seen.",
}


def prompt_pairs() -> list[tuple[str, str]]:
    """(positive, negative) prompt per observation, in :data:`cogaze.labels.OBSERVATIONS` order."""
    return [(_POSITIVE[o], _NEGATIVE[o]) for o in OBSERVATIONS]
