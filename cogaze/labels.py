"""The 14 CheXpert observations, in the standard order, and the four label states a reader can give.

The order is the one of the CheXpert labeler's output columns; heads, losses and metrics all use it.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np

OBSERVATIONS: tuple[str, ...] = (
    "No Finding",
    "Enlarged Cardiomediastinum",
    "Cardiomegaly",
    "Lung Opacity",
    "Lung Lesion",
    "Edema",
    "Consolidation",
    "Pneumonia",
    "Atelectasis",
    "Pneumothorax",
    "Pleural Effusion",
    "Pleural Other",
    "Fracture",
    "Support Devices",
)
NUM_OBSERVATIONS: int = len(OBSERVATIONS)
OBSERVATION_INDEX: dict[str, int] = {name: i for i, name in enumerate(OBSERVATIONS)}


class LabelState(IntEnum):
    """What a report says about one observation (CheXpert's 1 / 0 / -1 / blank, blank coded as -2)."""

    PRESENT = 1
    ABSENT = 0
    UNCERTAIN = -1
    NOT_MENTIONED = -2


def binary_targets(states: np.ndarray) -> np.ndarray:
    """Turn label states into training targets: present and uncertain count as positive.

    Parameters
    ----------
    states : np.ndarray
        Integer label states (any shape, last axis 14), values from :class:`LabelState`.

    Returns
    -------
    np.ndarray
        float32 array of the same shape, 1.0 where present or uncertain, else 0.0.

    Examples
    --------
    >>> binary_targets(np.array([1, 0, -1, -2])).tolist()
    [1.0, 0.0, 1.0, 0.0]
    """
    states = np.asarray(states)
    return ((states == LabelState.PRESENT) | (states == LabelState.UNCERTAIN)).astype(np.float32)


def states_from_dict(labels: dict[str, int | str | None], *, where: str = "labels") -> np.ndarray:
    """Build the 14-vector of label states from a mapping of observation name to state.

    Accepts ints (1, 0, -1, -2), the words ``present``/``absent``/``uncertain``/``not_mentioned``, or None
    (not mentioned). Observations missing from the mapping are not mentioned.

    Parameters
    ----------
    labels : dict
        Observation name -> state.
    where : str
        Names the field in error messages.

    Returns
    -------
    np.ndarray
        int8 array of shape (14,).
    """
    from cogaze.errors import DataError

    words = {
        "present": LabelState.PRESENT,
        "positive": LabelState.PRESENT,
        "absent": LabelState.ABSENT,
        "negative": LabelState.ABSENT,
        "uncertain": LabelState.UNCERTAIN,
        "not_mentioned": LabelState.NOT_MENTIONED,
        "not mentioned": LabelState.NOT_MENTIONED,
    }
    out = np.full(NUM_OBSERVATIONS, LabelState.NOT_MENTIONED, dtype=np.int8)
    for name, value in labels.items():
        if name not in OBSERVATION_INDEX:
            raise DataError(f"{where}: unknown observation {name!r}; expected one of {list(OBSERVATIONS)}")
        if value is None:
            state = LabelState.NOT_MENTIONED
        elif isinstance(value, str):
            if value.lower() not in words:
                raise DataError(f"{where}[{name!r}]: unknown label state {value!r}")
            state = words[value.lower()]
        else:
            fv = float(value)
            if fv != fv:  # NaN in CheXpert CSVs means not mentioned
                state = LabelState.NOT_MENTIONED
            elif int(fv) not in {s.value for s in LabelState}:
                raise DataError(f"{where}[{name!r}]: label state must be 1, 0, -1 or -2, got {value!r}")
            else:
                state = LabelState(int(fv))
        out[OBSERVATION_INDEX[name]] = state
    return out
