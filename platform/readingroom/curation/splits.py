"""Patient-level train/val/test splits from a seed: every image of a patient falls in one split."""

from __future__ import annotations

import hashlib

SPLITS = ("train", "val", "test")
DEFAULT_FRACTIONS = {"train": 0.8, "val": 0.1, "test": 0.1}


def split_fractions_clean(fractions: dict | None) -> dict[str, float]:
    """Validate split fractions (keys train/val/test, non-negative, summing to 1); fill in the defaults."""
    from readingroom.core.exceptions import InvalidInput

    fractions = dict(DEFAULT_FRACTIONS if fractions is None else fractions)
    unknown = set(fractions) - set(SPLITS)
    if unknown:
        raise InvalidInput(f"split_fractions: unknown split(s) {sorted(unknown)}; use {list(SPLITS)}")
    clean = {s: float(fractions.get(s, 0.0)) for s in SPLITS}
    if any(v < 0 for v in clean.values()) or abs(sum(clean.values()) - 1.0) > 1e-6:
        raise InvalidInput(f"split_fractions: must be non-negative and sum to 1, got {clean}")
    return clean


def patient_splits(patient_keys: list[str], *, seed: int, fractions: dict[str, float]) -> dict[str, str]:
    """Assign each patient to a split.

    Patients are ordered by a hash of (seed, key), a permutation that depends only on the seed and each
    patient, then cut at the cumulative fractions (rounded to whole patients). The same seed and patients
    give the same splits on any machine.

    >>> splits = patient_splits(["a", "b", "c", "d"], seed=1, fractions={"train": 0.5, "val": 0.25, "test": 0.25})
    >>> sorted(splits.values())
    ['test', 'train', 'train', 'val']
    """
    ordered = sorted(set(patient_keys), key=lambda k: hashlib.sha256(f"{seed}:{k}".encode()).hexdigest())
    n = len(ordered)
    bounds, total = [], 0.0
    for split in SPLITS:
        total += fractions.get(split, 0.0)
        bounds.append((split, round(total * n)))
    out: dict[str, str] = {}
    start = 0
    for split, end in bounds:
        for key in ordered[start:end]:
            out[key] = split
        start = max(start, end)
    for key in ordered[start:]:  # rounding leftovers
        out[key] = SPLITS[0]
    return out
