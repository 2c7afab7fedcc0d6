"""Scoring methods and strategies: pure functions over model outputs."""

from __future__ import annotations

import numpy as np
import pytest

from readingroom.learning.scoring import SCORING_METHODS, ScoreRequest, StudyOutput, js_divergence, score
from readingroom.learning.strategies import STRATEGIES, SelectRequest, select


def _out(key: str, p: float, **kw) -> StudyOutput:
    return StudyOutput(key=key, probabilities=np.full(14, p), **kw)


def test_every_named_method_and_strategy_is_registered():
    assert {
        "entropy",
        "margin",
        "mc_disagreement",
        "reader_disagreement",
        "attention_gaze",
        "coreset",
    } <= set(SCORING_METHODS)
    assert {"top_k", "diverse", "random"} <= set(STRATEGIES)


def test_entropy_and_margin_prefer_uncertain_studies():
    request = ScoreRequest([_out("sure", 0.01), _out("unsure", 0.5), _out("middle", 0.8)])
    entropy = score("entropy", request).scores
    assert entropy[1] == pytest.approx(1.0) and entropy[0] < entropy[2] < entropy[1]
    margin = score("margin", request).scores
    assert margin[1] == pytest.approx(1.0) and margin[0] < margin[2] < margin[1]


def test_mc_disagreement_is_zero_when_members_agree_and_nan_without_samples():
    agree = np.full((3, 14), 0.3)
    disagree = np.stack([np.full(14, 0.05), np.full(14, 0.95)])
    scores = score("mc_disagreement", ScoreRequest([
        _out("a", 0.3, samples=agree), _out("b", 0.5, samples=disagree), _out("c", 0.5),
    ])).scores  # fmt: skip
    assert scores[0] == pytest.approx(0.0, abs=1e-9) and scores[1] > 0.5 and np.isnan(scores[2])


def test_reader_disagreement_uses_only_known_labels():
    labels = np.full(14, np.nan)
    labels[0] = 1.0
    scores = score(
        "reader_disagreement", ScoreRequest([_out("a", 0.2, reader_labels=labels), _out("b", 0.2)])
    )
    assert scores.scores[0] == pytest.approx(0.8) and np.isnan(scores.scores[1])
    assert scores.notes == {"missing": 1}


def test_attention_gaze_divergence_is_zero_for_equal_maps_and_one_for_disjoint():
    left, right = np.zeros((4, 4)), np.zeros((4, 4))
    left[:, :2], right[:, 2:] = 1, 1
    assert js_divergence(left, left) == pytest.approx(0.0)
    assert js_divergence(left, right) == pytest.approx(1.0)
    scores = score("attention_gaze", ScoreRequest([
        _out("same", 0.5, attention=left / 8, gaze=left / 8), _out("apart", 0.5, attention=left / 8, gaze=right / 8),
        _out("no gaze", 0.5, attention=left / 8),
    ])).scores  # fmt: skip
    assert scores[0] < scores[1] and np.isnan(scores[2])
    with pytest.raises(ValueError, match="different shapes"):
        js_divergence(left, np.ones((2, 2)))


def test_coreset_scores_distance_to_the_nearest_read_study():
    e = np.eye(3)
    request = ScoreRequest(
        [_out("x", 0.5, embedding=e[0]), _out("y", 0.5, embedding=e[1])], labelled_embeddings=e[:1]
    )
    assert score("coreset", request).scores.tolist() == pytest.approx([0.0, 1.0])


def test_unknown_method_or_strategy_is_named():
    with pytest.raises(ValueError, match="unknown scoring method 'nope'; known: attention_gaze"):
        score("nope", ScoreRequest([_out("a", 0.5)]))
    with pytest.raises(ValueError, match="unknown strategy 'best'"):
        select("best", SelectRequest(np.zeros(2), 1))


def test_top_k_takes_the_highest_and_puts_nan_last():
    scores = np.array([0.1, np.nan, 0.9, 0.5])
    assert select("top_k", SelectRequest(scores, 2)) == [2, 3]
    assert select("top_k", SelectRequest(scores, 4))[-1] == 1


def test_random_is_seeded_and_has_no_repeats():
    a = select("random", SelectRequest(np.zeros(20), 5, seed=3))
    assert a == select("random", SelectRequest(np.zeros(20), 5, seed=3)) and len(set(a)) == 5
    assert a != select("random", SelectRequest(np.zeros(20), 5, seed=4))


def test_diverse_skips_a_near_duplicate_of_a_pick():
    emb = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    scores = np.array([1.0, 0.99, 0.5])
    assert select("top_k", SelectRequest(scores, 2)) == [0, 1]
    assert select("diverse", SelectRequest(scores, 2, embeddings=emb)) == [0, 2]
    with pytest.raises(ValueError, match="needs the embeddings"):
        select("diverse", SelectRequest(scores, 2))
    assert len(select("diverse", SelectRequest(np.full(3, np.nan), 2, embeddings=emb))) == 2
