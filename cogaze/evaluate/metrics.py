"""Evaluation metrics implemented in the package: AUROC, F1, Precision@k, BLEU-1..4, ROUGE-L and CIDEr-D.

The text metrics follow the definitions of the COCO caption evaluation (corpus BLEU with the closest-reference
brevity penalty; ROUGE-L F-measure from the longest common subsequence with beta 1.2; CIDEr-D with n = 1..4,
TF-IDF from the reference corpus, Gaussian length penalty sigma 6, clipping, times 10), on its tokenisation:
lower case, Penn-Treebank-style word splitting, and the punctuation tokens removed (see
:func:`tokenize_report`). METEOR is not computed: its reference implementation (METEOR 1.5) runs on Java and
the Python approximations need WordNet data that no PyPI package ships; report it from the COCO toolkit when
a comparison needs it.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

import numpy as np


def auroc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Area under the ROC curve by the rank statistic (ties get average ranks); NaN with one class only.

    >>> auroc(np.array([0.1, 0.4, 0.35, 0.8]), np.array([0, 0, 1, 1]))
    0.75
    """
    scores, labels = np.asarray(scores, float), np.asarray(labels).astype(bool)
    n_pos, n_neg = int(labels.sum()), int((~labels).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores), float)
    sorted_scores = scores[order]
    i = 0
    while i < len(scores):
        j = i
        while j + 1 < len(scores) and sorted_scores[j + 1] == sorted_scores[i]:
            j += 1
        ranks[order[i : j + 1]] = 0.5 * (i + j) + 1.0
        i = j + 1
    return float((ranks[labels].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def f1_score(pred: np.ndarray, labels: np.ndarray) -> float:
    """Binary F1 (0 when there are no positives and no predicted positives).

    >>> f1_score(np.array([1, 1, 0, 0]), np.array([1, 0, 1, 0]))
    0.5
    """
    pred, labels = np.asarray(pred).astype(bool), np.asarray(labels).astype(bool)
    tp = int((pred & labels).sum())
    denom = int(pred.sum()) + int(labels.sum())
    return 2.0 * tp / denom if denom else 0.0


def macro_f1(pred: np.ndarray, labels: np.ndarray) -> float:
    """Mean F1 over the classes (columns) that have at least one positive; NaN when none has.

    A class without positives has no defined F1 (0 by convention would pull the mean down for a data set
    that never reports it), so it is left out, as the CheXpert/CheXbert evaluations do.

    >>> macro_f1(np.array([[1, 0, 1], [0, 0, 1]]), np.array([[1, 0, 0], [1, 0, 0]]))
    0.6666666666666666
    """
    pred, labels = np.asarray(pred).astype(bool), np.asarray(labels).astype(bool)
    cols = [k for k in range(labels.shape[1]) if labels[:, k].any()]
    if not cols:
        return float("nan")
    return float(np.mean([f1_score(pred[:, k], labels[:, k]) for k in cols]))


def precision_at_k(
    similarity: np.ndarray, relevant: np.ndarray, ks: Sequence[int] = (1, 5, 10)
) -> dict[int, float]:
    """Mean Precision@k of ranking columns for each row of ``similarity`` (Q, C); ``relevant`` (Q, C) bool."""
    order = np.argsort(-similarity, axis=1, kind="mergesort")
    out = {}
    for k in ks:
        kk = min(k, similarity.shape[1])
        hits = np.take_along_axis(relevant, order[:, :kk], axis=1)
        out[k] = float(hits.sum(1).mean() / kk)
    return out


# Tokens the COCO caption evaluation drops after Penn Treebank tokenisation (brackets as PTB writes them).
_PUNCTUATION = frozenset(
    ["''", "'", "``", "`", "-lrb-", "-rrb-", "-lcb-", "-rcb-", ".", "?", "!", ",", ":", "-", "--", "...", ";"]
    + ["(", ")", "[", "]", "{", "}", '"']
)
# a word may hold inner hyphens, dots, slashes or apostrophes (x-ray, 3.5, t6/7, o'clock); anything else that is
# not a space is a token of its own (PTB keeps %, $, # and & as tokens)
_TOKEN = re.compile(r"\.\.\.|--|'(?:s|re|ll|ve|m|d)\b|\w+(?:[-./']\w+)*|[^\w\s]")
# Penn Treebank splits these clitics off the word before them (patient's -> patient 's, isn't -> is n't)
_CLITIC = re.compile(r"(?i)\b(\w+?)(n't|'s|'re|'ll|'ve|'m|'d)\b")


def tokenize_report(text: str) -> list[str]:
    """Lower-case tokens as the COCO caption evaluation counts them: punctuation marks removed.

    >>> tokenize_report("No pleural effusion. Heart size is normal, T6-T7 (3.5 cm)!")
    ['no', 'pleural', 'effusion', 'heart', 'size', 'is', 'normal', 't6-t7', '3.5', 'cm']
    >>> tokenize_report("The patient's heart isn't enlarged.")
    ['the', 'patient', "'s", 'heart', 'is', "n't", 'enlarged']
    """
    text = _CLITIC.sub(r"\1 \2", text.lower())
    return [t for t in _TOKEN.findall(text) if t not in _PUNCTUATION]


def _ngrams(tokens: list[str], n: int) -> Counter:
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def bleu(hypotheses: Sequence[str], references: Sequence[Sequence[str]], max_n: int = 4) -> dict[str, float]:
    """Corpus BLEU-1..max_n (clipped n-gram precision, geometric mean, closest-reference brevity penalty)."""
    match = [0] * max_n
    total = [0] * max_n
    hyp_len = ref_len = 0
    for hyp, refs in zip(hypotheses, references, strict=True):
        h = tokenize_report(hyp)
        rs = [tokenize_report(r) for r in refs]
        hyp_len += len(h)
        ref_len += min((abs(len(r) - len(h)), len(r)) for r in rs)[1]
        for n in range(1, max_n + 1):
            hc = _ngrams(h, n)
            maxref: Counter = Counter()
            for r in rs:
                maxref |= _ngrams(r, n)
            match[n - 1] += sum(min(c, maxref[g]) for g, c in hc.items())
            total[n - 1] += max(len(h) - n + 1, 0)
    bp = 1.0 if hyp_len > ref_len else math.exp(1 - ref_len / max(hyp_len, 1))
    out = {}
    for n in range(1, max_n + 1):
        precisions = [match[i] / total[i] if total[i] else 0.0 for i in range(n)]
        if min(precisions) <= 0:
            out[f"bleu{n}"] = 0.0
        else:
            out[f"bleu{n}"] = bp * math.exp(sum(math.log(p) for p in precisions) / n)
    return out


def _lcs(a: list[str], b: list[str]) -> int:
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b):
            cur.append(prev[j] + 1 if x == y else max(prev[j + 1], cur[j]))
        prev = cur
    return prev[-1]


def rouge_l(hypotheses: Sequence[str], references: Sequence[Sequence[str]], beta: float = 1.2) -> float:
    """Mean ROUGE-L F-measure (best reference per hypothesis)."""
    scores = []
    for hyp, refs in zip(hypotheses, references, strict=True):
        h = tokenize_report(hyp)
        best = 0.0
        for ref in refs:
            r = tokenize_report(ref)
            lcs = _lcs(h, r)
            if lcs == 0:
                continue
            p, rec = lcs / len(h), lcs / len(r)
            best = max(best, (1 + beta**2) * p * rec / (rec + beta**2 * p))
        scores.append(best)
    return float(np.mean(scores)) if scores else 0.0


def cider_d(hypotheses: Sequence[str], references: Sequence[Sequence[str]], sigma: float = 6.0) -> float:
    """CIDEr-D (n = 1..4, document frequencies from the references, length penalty, clipping, x10)."""
    n_docs = len(references)
    if n_docs == 0:
        return 0.0
    refs_tok = [[tokenize_report(r) for r in refs] for refs in references]
    df: Counter = Counter()
    for refs in refs_tok:
        grams = set()
        for r in refs:
            for n in range(1, 5):
                grams |= set(_ngrams(r, n))
        df.update(grams)
    log_n = math.log(float(n_docs))

    def vec(tokens: list[str], n: int) -> tuple[dict, float]:
        counts = _ngrams(tokens, n)
        v = {g: c * (log_n - math.log(max(1.0, df[g]))) for g, c in counts.items()}
        return v, math.sqrt(sum(x * x for x in v.values()))

    scores = []
    for hyp, refs in zip(hypotheses, refs_tok, strict=True):
        h = tokenize_report(hyp)
        score = 0.0
        for n in range(1, 5):
            hv, hn = vec(h, n)
            s = 0.0
            for r in refs:
                rv, rn = vec(r, n)
                dot = sum(min(val, rv[g]) * rv[g] for g, val in hv.items() if g in rv)
                if hn and rn:
                    s += dot / (hn * rn) * math.exp(-((len(h) - len(r)) ** 2) / (2 * sigma**2))
            score += s / len(refs) / 4
        scores.append(10.0 * score)
    return float(np.mean(scores))
