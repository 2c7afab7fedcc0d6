"""Scoring methods: how much reading an unread study is expected to teach the model, one number per study.

A method is registered by name and gets a :class:`ScoreRequest` (the current model's outputs over the pool,
and whatever else is known about the pool: reader labels, reader gaze, the embeddings already labelled); it
returns one score per study, higher = read first. Methods are pure (numpy only) so strategies and the
simulation can call them without a database.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

_EPS = 1e-7


@dataclass(frozen=True)
class StudyOutput:
    """The current model's output for one pool study, plus what readers have already left on it."""

    key: str  # the study's identifier in the pool
    probabilities: np.ndarray  # (14,) in [0, 1]
    embedding: np.ndarray | None = None  # (dim,) L2-normalised
    attention: np.ndarray | None = None  # (H, W) sums to 1
    gaze: np.ndarray | None = None  # (H, W) reader gaze density, sums to 1 (None: no gaze recorded)
    reader_labels: np.ndarray | None = None  # (14,) 1 positive / 0 negative / nan unknown
    samples: np.ndarray | None = None  # (T, 14) probabilities of T stochastic passes or ensemble members


@dataclass(frozen=True)
class ScoreRequest:
    outputs: list[StudyOutput]
    labelled_embeddings: np.ndarray | None = None  # (M, dim) embeddings of studies already read


@dataclass(frozen=True)
class ScoreResult:
    method: str
    scores: np.ndarray  # (N,) float, higher = more informative; nan where the method has no evidence
    notes: dict = field(default_factory=dict)


ScoringMethod = Callable[[ScoreRequest], np.ndarray]
SCORING_METHODS: dict[str, ScoringMethod] = {}


def register_scoring(name: str) -> Callable[[ScoringMethod], ScoringMethod]:
    def decorator(fn: ScoringMethod) -> ScoringMethod:
        SCORING_METHODS[name] = fn
        return fn

    return decorator


def score(method: str, request: ScoreRequest) -> ScoreResult:
    """Score every study of the request with a registered method (``ValueError`` naming the known ones)."""
    if method not in SCORING_METHODS:
        raise ValueError(f"unknown scoring method {method!r}; known: {', '.join(sorted(SCORING_METHODS))}")
    if not request.outputs:
        return ScoreResult(method, np.zeros(0))
    scores = np.asarray(SCORING_METHODS[method](request), dtype=np.float64)
    if scores.shape != (len(request.outputs),):
        raise ValueError(f"scoring method {method!r} returned shape {scores.shape}, expected one per study")
    return ScoreResult(method, scores, {"missing": int(np.isnan(scores).sum())})


def _probs(request: ScoreRequest) -> np.ndarray:
    return np.clip(np.stack([o.probabilities for o in request.outputs]).astype(np.float64), _EPS, 1 - _EPS)


def binary_entropy(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, _EPS, 1 - _EPS)
    return -(p * np.log2(p) + (1 - p) * np.log2(1 - p))


@register_scoring("entropy")
def predictive_entropy(request: ScoreRequest) -> np.ndarray:
    """Mean binary entropy (bits) over the 14 observations."""
    return binary_entropy(_probs(request)).mean(axis=1)


@register_scoring("margin")
def margin(request: ScoreRequest) -> np.ndarray:
    """1 minus the smallest distance of any observation's probability from the 0.5 decision boundary."""
    return 1.0 - (np.abs(2 * _probs(request) - 1)).min(axis=1)


@register_scoring("mc_disagreement")
def mc_disagreement(request: ScoreRequest) -> np.ndarray:
    """BALD-style mutual information over the T stochastic passes or ensemble members of each study."""
    out = np.full(len(request.outputs), np.nan)
    for i, o in enumerate(request.outputs):
        if o.samples is None or len(o.samples) < 2:
            continue
        samples = np.asarray(o.samples, dtype=np.float64)
        out[i] = (binary_entropy(samples.mean(0)) - binary_entropy(samples).mean(0)).mean()
    return out


@register_scoring("reader_disagreement")
def reader_disagreement(request: ScoreRequest) -> np.ndarray:
    """Mean absolute difference between the model's probabilities and a reader's labels where known."""
    out = np.full(len(request.outputs), np.nan)
    for i, o in enumerate(request.outputs):
        if o.reader_labels is None:
            continue
        known = ~np.isnan(o.reader_labels)
        if known.any():
            out[i] = np.abs(o.probabilities[known] - o.reader_labels[known]).mean()
    return out


def js_divergence(p: np.ndarray, q: np.ndarray) -> float:
    """Jensen-Shannon divergence (bits, in [0, 1]) of two non-negative maps of the same shape."""
    if p.shape != q.shape:
        raise ValueError(f"maps of different shapes: {p.shape} and {q.shape}")
    p = p.astype(np.float64).ravel() / max(float(p.sum()), _EPS)
    q = q.astype(np.float64).ravel() / max(float(q.sum()), _EPS)
    m = 0.5 * (p + q)

    def kl(a: np.ndarray) -> float:
        nz = a > 0
        return float((a[nz] * np.log2(a[nz] / m[nz])).sum())

    return 0.5 * kl(p) + 0.5 * kl(q)


@register_scoring("attention_gaze")
def attention_gaze_divergence(request: ScoreRequest) -> np.ndarray:
    """Jensen-Shannon divergence between the model's attention and where readers looked (nan: no gaze)."""
    return np.array([
        js_divergence(o.attention, o.gaze) if o.attention is not None and o.gaze is not None else np.nan
        for o in request.outputs
    ])  # fmt: skip


@register_scoring("coreset")
def coreset_distance(request: ScoreRequest) -> np.ndarray:
    """Cosine distance of each study's embedding to its nearest already-read study (1 when none is read)."""
    if any(o.embedding is None for o in request.outputs):
        raise ValueError("scoring method 'coreset' needs an embedding for every study")
    emb = np.stack([o.embedding for o in request.outputs]).astype(np.float64)
    labelled = request.labelled_embeddings
    if labelled is None or len(labelled) == 0:
        return np.ones(len(emb))
    return 1.0 - (emb @ np.asarray(labelled, dtype=np.float64).T).max(axis=1)
