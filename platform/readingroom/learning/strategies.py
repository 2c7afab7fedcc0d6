"""Strategies: pure, fast selection of the next studies to read from the scores of a scoring method.

``top_k`` takes the highest scores; ``diverse`` takes high scores that are far apart in embedding space
(greedy: each pick maximises score times distance to the picks so far); ``random`` is the baseline. Studies
whose score is nan (no evidence for the method) come after every scored study, in random order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SelectRequest:
    scores: np.ndarray  # (N,)
    k: int
    seed: int = 0
    embeddings: np.ndarray | None = None  # (N, dim) L2-normalised, for diversity


Strategy = Callable[[SelectRequest], list[int]]
STRATEGIES: dict[str, Strategy] = {}


def register_strategy(name: str) -> Callable[[Strategy], Strategy]:
    def decorator(fn: Strategy) -> Strategy:
        STRATEGIES[name] = fn
        return fn

    return decorator


def select(strategy: str, request: SelectRequest) -> list[int]:
    """Indices of the studies to read next (at most ``k``, no repeats)."""
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}; known: {', '.join(sorted(STRATEGIES))}")
    if request.k < 0:
        raise ValueError(f"k must be >= 0, got {request.k}")
    picked = STRATEGIES[strategy](request)
    if len(set(picked)) != len(picked):
        raise ValueError(f"strategy {strategy!r} picked a study twice")
    return picked[: request.k]


def _ranked(scores: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Indices by descending score, ties and nans broken at random (nans last)."""
    noise = rng.random(len(scores))
    filled = np.where(np.isnan(scores), -np.inf, scores)
    return np.lexsort((noise, -filled))


@register_strategy("top_k")
def top_k(request: SelectRequest) -> list[int]:
    return [int(i) for i in _ranked(request.scores, np.random.default_rng(request.seed))[: request.k]]


@register_strategy("random")
def random_baseline(request: SelectRequest) -> list[int]:
    rng = np.random.default_rng(request.seed)
    return [int(i) for i in rng.permutation(len(request.scores))[: request.k]]


@register_strategy("diverse")
def diverse_batch(request: SelectRequest) -> list[int]:
    """Greedy: score (min-max scaled, nan = 0) times cosine distance to the nearest pick so far."""
    if request.embeddings is None:
        raise ValueError("strategy 'diverse' needs the embeddings of the pool")
    n = len(request.scores)
    if n == 0 or request.k == 0:
        return []
    rng = np.random.default_rng(request.seed)
    scores = request.scores.astype(np.float64)
    s = np.nan_to_num(scores, nan=float(np.nanmin(scores)) if np.isfinite(scores).any() else 0.0)
    span = s.max() - s.min()
    value = (s - s.min()) / span if span > 0 else np.ones(n)
    value = value + 1e-3 + 1e-6 * rng.random(n)  # zero scores still count; random tie-break
    emb = request.embeddings.astype(np.float64)
    distance = np.ones(n)
    picked: list[int] = []
    for _ in range(min(request.k, n)):
        gain = value * distance
        gain[picked] = -np.inf
        best = int(np.argmax(gain))
        picked.append(best)
        distance = np.minimum(distance, np.clip(1.0 - emb @ emb[best], 0.0, 2.0))
    return picked
