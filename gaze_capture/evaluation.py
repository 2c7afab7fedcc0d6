"""Agreement between event labellings (detector vs human coder): sample-level Cohen's kappa."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from .errors import InvalidSamplesError

__all__ = ["cohen_kappa", "event_kappa"]


def cohen_kappa(a: ArrayLike, b: ArrayLike) -> float:
    """Cohen's kappa of two binary labellings of the same samples.

    Parameters
    ----------
    a, b : array_like of bool, shape (n,)
        Whether each sample belongs to the event, for each rater.

    Returns
    -------
    float
        ``(p_o - p_e) / (1 - p_e)``; 1.0 when both raters are constant and agree, NaN when the chance
        agreement is 1 but they differ.

    Examples
    --------
    >>> cohen_kappa([1, 1, 0, 0], [1, 1, 0, 0])
    1.0
    >>> round(cohen_kappa([1, 1, 0, 0], [1, 0, 0, 0]), 3)
    0.5
    """
    x = np.asarray(a, dtype=bool)
    y = np.asarray(b, dtype=bool)
    if x.shape != y.shape or x.ndim != 1:
        raise InvalidSamplesError(f"labellings must be 1-D of equal length, got {x.shape} and {y.shape}")
    if x.size == 0:
        raise InvalidSamplesError("cannot compute kappa of empty labellings")
    po = float(np.mean(x == y))
    pa, pb = float(x.mean()), float(y.mean())
    pe = pa * pb + (1 - pa) * (1 - pb)
    if pe >= 1.0:
        return 1.0 if po == 1.0 else float("nan")
    return (po - pe) / (1 - pe)


def event_kappa(labels_a: Sequence[ArrayLike], labels_b: Sequence[ArrayLike], event: int) -> float:
    """Kappa for one event code over several recordings pooled (samples concatenated).

    Parameters
    ----------
    labels_a, labels_b : sequence of array_like of int, each shape (n_i,)
        Per-recording labels of the two raters (paired, equal lengths).
    event : int
        The event code (see :class:`gaze_capture.EventLabel`).
    """
    if len(labels_a) != len(labels_b):
        raise InvalidSamplesError(f"{len(labels_a)} recordings vs {len(labels_b)}")
    a = np.concatenate([np.asarray(x) == event for x in labels_a])
    b = np.concatenate([np.asarray(x) == event for x in labels_b])
    return cohen_kappa(a, b)


def detector_kappa(
    recordings: Sequence[object],
    method: str,
    *,
    pixels_per_degree: float,
    events: Sequence[int] = (1, 2, 3),
    **params: object,
) -> dict[tuple[str, str, int], float]:
    """Kappa of a registered detector against every coder, per stimulus type and event, pooled over files.

    Parameters
    ----------
    recordings : sequence of LundRecording-like objects
        Each with ``stimulus`` (str), ``samples`` (:class:`~gaze_capture.Samples`) and ``labels``
        (``{coder: int array}``), e.g. from :func:`gaze_capture.formats.lund_recordings`.
    method : str
        Registered detector name.
    pixels_per_degree : float
        Conversion to degrees (one value for all recordings).
    events : sequence of int
        Event codes to score.
    **params
        Detector parameters: one set for all files.

    Returns
    -------
    dict
        ``{(stimulus, coder, event): kappa}``.
    """
    from .detection import segment

    detected: dict[str, list[np.ndarray]] = {}
    coded: dict[tuple[str, str], list[np.ndarray]] = {}
    for rec in recordings:
        stim = rec.stimulus  # type: ignore[attr-defined]
        seg = segment(method, rec.samples, pixels_per_degree=pixels_per_degree, **params)  # type: ignore[attr-defined]
        detected.setdefault(stim, []).append(seg.labels)
        for coder, lab in rec.labels.items():  # type: ignore[attr-defined]
            coded.setdefault((stim, coder), []).append(lab)
    out: dict[tuple[str, str, int], float] = {}
    for (stim, coder), labs in coded.items():
        for ev in events:
            out[(stim, coder, int(ev))] = event_kappa(detected[stim], labs, int(ev))
    return out
