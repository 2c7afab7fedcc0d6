"""Agreement between raters: Cohen's kappa for two raters, Fleiss' kappa for many.

Pure numpy; ratings are category labels (any hashable values). Undefined values (every rating in one
category, so that chance agreement is 1) are NaN rather than an error, since a reader study often has an
observation that nobody reported.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["cohen_kappa", "fleiss_kappa", "fleiss_table"]


def _categories(*ratings: Sequence) -> list:
    seen: dict = {}
    for r in ratings:
        for value in r:
            seen.setdefault(value, None)
    return list(seen)


def cohen_kappa(a: Sequence, b: Sequence, *, categories: Sequence | None = None) -> float:
    """Cohen's kappa of two raters' labels of the same cases (unweighted).

    kappa = (p_o - p_e) / (1 - p_e), with p_o the observed agreement and p_e the agreement expected from
    each rater's own category frequencies.

    >>> round(cohen_kappa(["y", "y", "n", "n", "y"], ["y", "n", "n", "n", "y"]), 4)
    0.6154
    """
    if len(a) != len(b):
        raise ValueError(f"cohen_kappa: the raters labelled {len(a)} and {len(b)} cases")
    if len(a) == 0:
        raise ValueError("cohen_kappa: no cases")
    cats = list(categories) if categories is not None else _categories(a, b)
    index = {c: i for i, c in enumerate(cats)}
    unknown = [v for v in (*a, *b) if v not in index]
    if unknown:
        raise ValueError(f"cohen_kappa: label {unknown[0]!r} is not one of the categories {cats}")
    table = np.zeros((len(cats), len(cats)))
    for x, y in zip(a, b, strict=True):
        table[index[x], index[y]] += 1
    n = table.sum()
    p_o = np.trace(table) / n
    p_e = float(table.sum(axis=1) @ table.sum(axis=0)) / n**2
    return float("nan") if p_e == 1.0 else float((p_o - p_e) / (1.0 - p_e))


def fleiss_table(ratings: Sequence[Sequence], *, categories: Sequence | None = None) -> np.ndarray:
    """Counts (cases x categories) of how many raters put each case in each category.

    ``ratings[i]`` holds the labels that the raters gave case ``i`` (the same number of raters per case).
    """
    cats = list(categories) if categories is not None else _categories(*ratings)
    index = {c: i for i, c in enumerate(cats)}
    table = np.zeros((len(ratings), len(cats)))
    for i, case in enumerate(ratings):
        for value in case:
            if value not in index:
                raise ValueError(f"fleiss_table: label {value!r} of case {i} is not one of {cats}")
            table[i, index[value]] += 1
    return table


def fleiss_kappa(table: np.ndarray) -> float:
    """Fleiss' kappa from a (cases x categories) table of rater counts, each row summing to the raters.

    >>> round(fleiss_kappa(np.array([[3, 0], [0, 3], [2, 1], [3, 0]])), 4)
    0.625
    """
    table = np.asarray(table, dtype=np.float64)
    if table.ndim != 2 or table.shape[0] == 0:
        raise ValueError("fleiss_kappa: the table must be (cases x categories) with at least one case")
    raters = table.sum(axis=1)
    if not np.allclose(raters, raters[0]) or raters[0] < 2:
        raise ValueError("fleiss_kappa: every case needs the same number of raters, at least two")
    m = raters[0]
    p_case = ((table**2).sum(axis=1) - m) / (m * (m - 1))
    p_bar = p_case.mean()
    share = table.sum(axis=0) / table.sum()
    p_e = float((share**2).sum())
    return float("nan") if p_e == 1.0 else float((p_bar - p_e) / (1.0 - p_e))
