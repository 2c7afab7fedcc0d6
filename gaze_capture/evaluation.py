"""Agreement between event labellings (detector vs human coder): sample-level Cohen's kappa."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from .errors import InvalidSamplesError, ParameterError
from .samples import Samples

__all__ = ["cohen_kappa", "event_kappa", "detector_kappa", "degrade"]


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


def degrade(
    samples: Samples,
    labels: dict[str, ArrayLike],
    *,
    rate_hz: float,
    precision_rms_deg: float,
    pixels_per_degree: float,
    dropout_rate_per_s: float = 1.5,
    dropout_median_ms: float = 40.0,
    seed: int = 0,
) -> tuple[Samples, dict[str, np.ndarray]]:
    """A recording as a noisier, slower tracker would have given it, with its coders' labels carried over.

    The gaze is resampled to ``rate_hz`` (linear interpolation between recorded samples; a new sample is
    lost where the nearest original one was), white noise is added so that the RMS sample-to-sample
    distance grows to about ``precision_rms_deg`` (per axis SD ``precision_rms_deg / 2``), and dropouts
    typical of remote trackers are added: a Poisson process of ``dropout_rate_per_s`` per second with
    log-normal durations of median ``dropout_median_ms`` (log SD 0.8; about 8% of the samples at the
    defaults). Each label array is resampled by nearest sample.

    Parameters
    ----------
    samples : Samples
        The original recording.
    labels : dict of str to array_like of int
        Per-sample labels by coder, each of the recording's length.
    rate_hz, precision_rms_deg, pixels_per_degree : float
        Target rate, target precision (degrees) and the samples' pixels per degree.
    dropout_rate_per_s, dropout_median_ms : float
        Added data loss (0 rate: none).
    seed : int
        Random seed (noise and dropouts).

    Returns
    -------
    samples, labels
        The degraded recording and the resampled labels.

    Examples
    --------
    >>> t = np.arange(0, 10000, 2.0)
    >>> s = Samples.from_arrays(t, np.full(t.size, 500.0), np.full(t.size, 400.0))
    >>> d, lab = degrade(s, {"A": np.ones(t.size)}, rate_hz=60, precision_rms_deg=0.4, pixels_per_degree=30)
    >>> len(d), lab["A"].shape
    (600, (600,))
    """
    for name, v in (("rate_hz", rate_hz), ("pixels_per_degree", pixels_per_degree)):
        if not (np.isfinite(v) and v > 0):
            raise ParameterError(f"{name} must be > 0, got {v!r}")
    if not (np.isfinite(precision_rms_deg) and precision_rms_deg >= 0):
        raise ParameterError(f"precision_rms_deg must be >= 0, got {precision_rms_deg!r}")
    rng = np.random.default_rng(seed)
    t = np.arange(samples.t_ms[0], samples.t_ms[-1], 1000.0 / rate_hz)
    ok = samples.valid
    near = np.clip(np.searchsorted(samples.t_ms, t), 0, len(samples) - 1)
    left = np.clip(near - 1, 0, None)
    near = np.where(np.abs(samples.t_ms[left] - t) <= np.abs(samples.t_ms[near] - t), left, near)
    x = np.interp(t, samples.t_ms[ok], samples.x[ok])
    y = np.interp(t, samples.t_ms[ok], samples.y[ok])
    sd_px = precision_rms_deg / 2.0 * pixels_per_degree
    x += rng.normal(0.0, sd_px, t.size)
    y += rng.normal(0.0, sd_px, t.size)
    lost = ~ok[near]
    if dropout_rate_per_s > 0:
        dur_s = (t[-1] - t[0]) / 1000.0
        n_drop = rng.poisson(dropout_rate_per_s * dur_s)
        on = rng.uniform(t[0], t[-1], n_drop)
        length = dropout_median_ms * np.exp(rng.normal(0.0, 0.8, n_drop))
        d = np.zeros(t.size + 1, np.int32)
        np.add.at(d, np.searchsorted(t, on), 1)
        np.add.at(d, np.searchsorted(t, on + length), -1)
        lost |= np.cumsum(d[:-1]) > 0
    x[lost] = np.nan
    y[lost] = np.nan
    out = {name: np.asarray(lab)[near].astype(np.int8) for name, lab in labels.items()}
    return Samples.from_arrays(t, x, y), out
